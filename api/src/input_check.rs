//! Checks a request's input before anything runs, as the specification's "CoerceVariableValues"
//! and argument coercion do, so that a value in the wrong format is a `BAD_USER_INPUT` that names
//! the variable or argument and the format expected, and never an execution error.
//!
//! async-graphql checks literals and variables against most types while validating, but it lets
//! through what only fails once a resolver parses its arguments: an `Int` beyond 32 bits, a
//! required variable that was not sent ("Variable id is not defined.", with a field's path). Those
//! came back as uncoded execution errors, which the server answers as `INTERNAL`. Here each
//! variable is checked against the type its operation declares, and each literal argument against
//! the field's argument type, with the schema's own SDL as the reference (read once when the schema
//! is built, like `response_shape`).

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, InputValueDefinition, Selection, SelectionSet, ServiceDocument, Type, TypeKind,
    TypeSystemDefinition,
};
use async_graphql::{ErrorExtensionValues, Name, Pos, ServerError, Value, Variables};

use crate::response_shape::{chosen_operation, Roots};
use crate::scalars::{Date, DateTime, DATE_FORMAT, DATE_TIME_FORMAT};
use domain::error::code;

/// How a GraphQL multipart request names its files in the variables (async-graphql's convention).
pub const UPLOAD_PREFIX: &str = "#__graphql_file__:";

/// Most problems reported for one request: enough to fix a form, not a flood.
const MOST_ERRORS: usize = 20;

/// One argument or input field: its type and whether it has a default.
#[derive(Debug, Clone)]
struct Slot {
    ty: Type,
    has_default: bool,
}

#[derive(Debug, Clone)]
enum InputKind {
    Enum(Vec<String>),
    Object(Vec<(String, Slot)>),
    Scalar,
}

/// The input side of the schema: argument types of every field, and every input type.
#[derive(Debug, Default)]
pub struct InputTypes {
    /// (type, field) → arguments.
    arguments: HashMap<String, HashMap<String, Vec<(String, Slot)>>>,
    /// Output field types, to follow a selection down: (type, field) → named type.
    field_types: HashMap<String, HashMap<String, String>>,
    inputs: HashMap<String, InputKind>,
    roots: Roots,
}

fn slots(values: &[async_graphql::Positioned<InputValueDefinition>]) -> Vec<(String, Slot)> {
    values
        .iter()
        .map(|v| {
            let v = &v.node;
            (v.name.node.to_string(), Slot { ty: v.ty.node.clone(), has_default: v.default_value.is_some() })
        })
        .collect()
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

impl InputTypes {
    pub fn from_document(document: &ServiceDocument) -> Self {
        let mut types = InputTypes { roots: Roots::of(document), ..Self::default() };
        for definition in &document.definitions {
            match definition {
                TypeSystemDefinition::Schema(_) => {}
                TypeSystemDefinition::Type(t) => {
                    let name = t.node.name.node.to_string();
                    let fields = match &t.node.kind {
                        TypeKind::Object(o) => Some(&o.fields),
                        TypeKind::Interface(i) => Some(&i.fields),
                        TypeKind::Enum(e) => {
                            let values = e.values.iter().map(|v| v.node.value.node.to_string()).collect();
                            types.inputs.insert(name.clone(), InputKind::Enum(values));
                            None
                        }
                        TypeKind::InputObject(o) => {
                            types.inputs.insert(name.clone(), InputKind::Object(slots(&o.fields)));
                            None
                        }
                        TypeKind::Scalar => {
                            types.inputs.insert(name.clone(), InputKind::Scalar);
                            None
                        }
                        TypeKind::Union(_) => None,
                    };
                    if let Some(fields) = fields {
                        let mut arguments = HashMap::new();
                        let mut field_types = HashMap::new();
                        for f in fields {
                            let f = &f.node;
                            arguments.insert(f.name.node.to_string(), slots(&f.arguments));
                            field_types.insert(f.name.node.to_string(), named(&f.ty.node).to_owned());
                        }
                        types.arguments.insert(name.clone(), arguments);
                        types.field_types.insert(name, field_types);
                    }
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        types
    }

    /// Every problem with `document`'s chosen operation's variables and literal arguments, as
    /// `BAD_USER_INPUT` request errors; empty when the input is well formed.
    pub fn check(
        &self,
        document: &ExecutableDocument,
        operation: Option<&str>,
        variables: &Variables,
    ) -> Vec<ServerError> {
        let Some(operation) = chosen_operation(document, operation) else { return Vec::new() };
        let mut report = Report::default();
        for definition in &operation.node.variable_definitions {
            let definition = &definition.node;
            let name = definition.name.node.as_str();
            let ty = &definition.var_type.node;
            match variables.get(&definition.name.node) {
                None if definition.default_value.is_none() && !ty.nullable => report.push(
                    definition.name.pos,
                    format!("variable ${name} of type {ty} was not provided"),
                    ("variable", name),
                ),
                None => {}
                Some(value) => {
                    let mut problem = None;
                    self.value(value, ty, true, &mut |path, message| {
                        problem.get_or_insert_with(|| format!("variable ${name}{path}: {message}"));
                    });
                    if let Some(message) = problem {
                        report.push(definition.name.pos, message, ("variable", name));
                    }
                }
            }
        }
        let root = self.roots.of_operation(operation.node.ty);
        let mut walk = Walk { types: self, document, report, fragments: HashSet::new() };
        walk.set(&operation.node.selection_set.node, root);
        walk.report.errors
    }

    /// Checks a value against `ty`, calling `fail(path, message)` for the first problem met on
    /// each branch. `from_json`: the value came from the variables (enums are strings there).
    fn value(&self, value: &Value, ty: &Type, from_json: bool, fail: &mut dyn FnMut(&str, String)) {
        self.at(value, ty, from_json, &mut String::new(), fail)
    }

    fn at(&self, value: &Value, ty: &Type, from_json: bool, path: &mut String, fail: &mut dyn FnMut(&str, String)) {
        if let Value::Null = value {
            if !ty.nullable {
                fail(path, format!("must not be null (the type is {ty})"));
            }
            return;
        }
        match &ty.base {
            BaseType::List(inner) => match value {
                Value::List(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let len = path.len();
                        path.push_str(&format!("[{i}]"));
                        self.at(item, inner, from_json, path, fail);
                        path.truncate(len);
                    }
                }
                // A single value where a list is expected is a list of one (input coercion).
                single => self.at(single, inner, from_json, path, fail),
            },
            BaseType::Named(name) => self.named(value, name.as_str(), from_json, path, fail),
        }
    }

    fn named(&self, value: &Value, name: &str, from_json: bool, path: &mut String, fail: &mut dyn FnMut(&str, String)) {
        let got = || describe(value);
        match name {
            "Int" => {
                let ok = matches!(value, Value::Number(n) if n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()));
                if !ok {
                    fail(
                        path,
                        format!("expected an Int, a whole number from {} to {}, got {}", i32::MIN, i32::MAX, got()),
                    );
                }
            }
            "Float" => {
                if !matches!(value, Value::Number(_)) {
                    fail(path, format!("expected a Float (a number), got {}", got()));
                }
            }
            "String" => {
                if !matches!(value, Value::String(_)) {
                    fail(path, format!("expected a String, got {}", got()));
                }
            }
            "Boolean" => {
                if !matches!(value, Value::Boolean(_)) {
                    fail(path, format!("expected a Boolean (true or false), got {}", got()));
                }
            }
            "ID" => {
                let ok = match value {
                    Value::String(_) => true,
                    Value::Number(n) => n.is_i64() || n.is_u64(),
                    _ => false,
                };
                if !ok {
                    fail(path, format!("expected an ID (a string), got {}", got()));
                }
            }
            "Date" => {
                if !matches!(value, Value::String(s) if Date::parse(s).is_some()) {
                    fail(path, format!("expected {DATE_FORMAT}, got {}", got()));
                }
            }
            "DateTime" => {
                if !matches!(value, Value::String(s) if DateTime::parse(s).is_some()) {
                    fail(path, format!("expected {DATE_TIME_FORMAT}, got {}", got()));
                }
            }
            "Upload" => {
                // What a GraphQL multipart request's map puts there; async-graphql would panic
                // parsing anything else of that shape.
                let named_file = |s: &str| {
                    s.strip_prefix(UPLOAD_PREFIX)
                        .is_some_and(|n| !n.is_empty() && n.len() < 6 && n.bytes().all(|b| b.is_ascii_digit()))
                };
                if !matches!(value, Value::String(s) if named_file(s)) {
                    fail(
                        path,
                        format!(
                            "expected a file sent in a multipart request (the GraphQL multipart request: the \
                             variable null, the file mapped to it), got {}",
                            got()
                        ),
                    );
                }
            }
            other => match self.inputs.get(other) {
                Some(InputKind::Enum(values)) => {
                    let given = match value {
                        Value::Enum(v) if !from_json => Some(v.as_str()),
                        Value::String(v) if from_json => Some(v.as_str()),
                        _ => None,
                    };
                    if !given.is_some_and(|g| values.iter().any(|v| v == g)) {
                        fail(path, format!("expected one of {} ({other}), got {}", values.join(", "), got()));
                    }
                }
                Some(InputKind::Object(fields)) => {
                    let Value::Object(map) = value else {
                        fail(path, format!("expected an input object {other}, got {}", got()));
                        return;
                    };
                    for key in map.keys() {
                        if !fields.iter().any(|(f, _)| f == key.as_str()) {
                            let known: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
                            fail(path, format!("{other} has no field \"{key}\" (its fields: {})", known.join(", ")));
                        }
                    }
                    for (field, slot) in fields {
                        let len = path.len();
                        path.push('.');
                        path.push_str(field);
                        match map.get(field.as_str()) {
                            Some(v) => self.at(v, &slot.ty, from_json, path, fail),
                            None if !slot.ty.nullable && !slot.has_default => {
                                fail(path, format!("field {field} of type {} was not provided", slot.ty))
                            }
                            None => {}
                        }
                        path.truncate(len);
                    }
                }
                // JSON and any scalar of async-graphql's own: what it accepts is its business.
                Some(InputKind::Scalar) | None => {}
            },
        }
    }
}

/// A value as the error shows it: JSON, cut short.
fn describe(value: &Value) -> String {
    let mut text = match value {
        Value::Enum(e) => e.to_string(),
        other => other.to_string(),
    };
    if text.len() > 60 {
        let mut cut = 57;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    text
}

#[derive(Default)]
struct Report {
    errors: Vec<ServerError>,
}

impl Report {
    fn push(&mut self, pos: Pos, message: String, (key, name): (&str, &str)) {
        if self.errors.len() >= MOST_ERRORS {
            return;
        }
        let mut error = ServerError::new(message, Some(pos));
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("code", code::BAD_USER_INPUT);
        extensions.set(key, name);
        error.extensions = Some(extensions);
        self.errors.push(error);
    }
}

/// Follows the selection down to every field's literal arguments. Each fragment is checked once
/// (its type condition fixes what it selects from), so spreads cost nothing extra.
struct Walk<'a> {
    types: &'a InputTypes,
    document: &'a ExecutableDocument,
    report: Report,
    fragments: HashSet<&'a Name>,
}

impl<'a> Walk<'a> {
    fn set(&mut self, set: &'a SelectionSet, parent: &str) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = field.name.node.as_str();
                    if let Some(arguments) = self.types.arguments.get(parent).and_then(|a| a.get(name)) {
                        for (argument, value) in &field.arguments {
                            let Some((_, slot)) = arguments.iter().find(|(a, _)| a == argument.node.as_str()) else {
                                continue; // unknown argument: validation says so
                            };
                            self.literal(&value.node, &slot.ty, name, argument.node.as_str(), argument.pos);
                        }
                    }
                    let child = self.types.field_types.get(parent).and_then(|f| f.get(name)).cloned();
                    if let Some(child) = child {
                        self.set(&field.selection_set.node, &child);
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let on = fragment.node.type_condition.as_ref().map(|t| t.node.on.node.to_string());
                    self.set(&fragment.node.selection_set.node, on.as_deref().unwrap_or(parent));
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    let Some((key, fragment)) = self.document.fragments.get_key_value(name) else { continue };
                    if self.fragments.insert(key) {
                        let on = fragment.node.type_condition.node.on.node.to_string();
                        self.set(&fragment.node.selection_set.node, &on);
                    }
                }
            }
        }
    }

    /// A literal argument: its variables were checked against their own declarations, the rest
    /// is checked here.
    fn literal(&mut self, value: &async_graphql_value::Value, ty: &Type, field: &str, argument: &str, pos: Pos) {
        let mut problems = Vec::new();
        check_literal(self.types, value, ty, &mut argument.to_owned(), &mut problems);
        for (path, message) in problems {
            self.report.push(pos, format!("argument {path} of {field}: {message}"), ("argument", &path));
        }
    }
}

fn check_literal(
    types: &InputTypes,
    value: &async_graphql_value::Value,
    ty: &Type,
    path: &mut String,
    problems: &mut Vec<(String, String)>,
) {
    use async_graphql_value::Value as Literal;
    match value {
        Literal::Variable(_) => {}
        Literal::List(items) if matches!(ty.base, BaseType::List(_)) => {
            let BaseType::List(inner) = &ty.base else { return };
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_literal(types, item, inner, path, problems);
                path.truncate(len);
            }
        }
        Literal::Object(map) => {
            let input = match &ty.base {
                BaseType::Named(n) => types.inputs.get(n.as_str()),
                BaseType::List(inner) => match &inner.base {
                    BaseType::Named(n) => types.inputs.get(n.as_str()),
                    BaseType::List(_) => None,
                },
            };
            let Some(InputKind::Object(fields)) = input else {
                problems.push((path.clone(), format!("expected {ty}, got an input object")));
                return;
            };
            for key in map.keys() {
                if !fields.iter().any(|(f, _)| f == key.as_str()) {
                    let known: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
                    problems.push((
                        path.clone(),
                        format!("{} has no field \"{key}\" (its fields: {})", named(ty), known.join(", ")),
                    ));
                }
            }
            for (field, slot) in fields {
                let len = path.len();
                path.push('.');
                path.push_str(field);
                match map.get(field.as_str()) {
                    Some(v) => check_literal(types, v, &slot.ty, path, problems),
                    None if !slot.ty.nullable && !slot.has_default => {
                        problems.push((path.clone(), format!("field {field} of type {} was not provided", slot.ty)))
                    }
                    None => {}
                }
                path.truncate(len);
            }
        }
        leaf => {
            // No variables below this point: the literal is a constant.
            let Ok(constant) = leaf.clone().into_const_with(|_| Err::<Value, ()>(())) else { return };
            let mut first = None;
            types.value(&constant, ty, false, &mut |inner, message| {
                first.get_or_insert_with(|| (format!("{path}{inner}"), message));
            });
            problems.extend(first);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        schema { query: Query }
        scalar Date
        scalar DateTime
        enum Colour { RED GREEN }
        input Range { from: Date! to: Date! colour: Colour = RED }
        type Query {
          figures(input: Range!, first: Int): Int
          at(when: DateTime!): Int
          many(ids: [ID!]!): Int
        }
    "#;

    fn check(query: &str, variables: serde_json::Value) -> Vec<String> {
        let types = InputTypes::from_document(&async_graphql::parser::parse_schema(SDL).unwrap());
        let doc = async_graphql::parser::parse_query(query).unwrap();
        types.check(&doc, None, &Variables::from_json(variables)).into_iter().map(|e| e.message).collect()
    }

    #[test]
    fn well_formed_input_passes() {
        let q = "query($r: Range!, $w: DateTime!) { figures(input: $r, first: 5) at(when: $w) many(ids: \"a\") }";
        let vars = serde_json::json!({"r": {"from": "2026-04-01", "to": "2026-06-30", "colour": "GREEN"}, "w": "2026-12-10T10:00:00Z"});
        assert_eq!(check(q, vars), Vec::<String>::new());
    }

    #[test]
    fn each_problem_names_where_it_is_and_what_was_expected() {
        let q =
            "query($r: Range!, $w: DateTime!, $missing: ID!) { figures(input: $r) at(when: $w) many(ids: [$missing]) }";
        let vars = serde_json::json!({"r": {"from": "20261201", "to": "2026-02-30", "colour": "BLUE"}, "w": "2026-12-10T10:00"});
        let errors = check(q, vars);
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("variable $r.from: expected a calendar date as YYYY-MM-DD"), "{errors:?}");
        assert!(errors[1].starts_with("variable $w: expected a date and time with an offset"), "{errors:?}");
        assert_eq!(errors[2], "variable $missing of type ID! was not provided");
    }

    #[test]
    fn literals_are_checked_with_their_argument_path() {
        let errors = check(
            "{ figures(input: {from: \"2026-04-01\", to: \"\"}, first: 2147483648) at(when: \"2026-13-01T10:00:00Z\") }",
            serde_json::json!({}),
        );
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("argument input.to of figures: expected a calendar date"), "{errors:?}");
        assert!(errors[1].starts_with("argument first of figures: expected an Int, a whole number from -2147483648 to 2147483647, got 2147483648"), "{errors:?}");
        assert!(errors[2].starts_with("argument when of at: expected a date and time"), "{errors:?}");
    }
}
