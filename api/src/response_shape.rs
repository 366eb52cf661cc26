//! Makes every response match the GraphQL specification and the schema, where async-graphql 7
//! does not: it resolves an object's fields concurrently and keeps them in the order they finish
//! (five identical `me` requests gave five orders), and it leaves out a field that failed instead
//! of answering null (a forbidden `nhsNumber: String!` vanished from its object, which typed and
//! caching clients such as Apollo, Relay and graphql-codegen's types cannot read).
//!
//! After execution each object's keys are put in the order of the selection (aliases, fragments
//! and `@skip`/`@include` as the document says), a field the response lacks is answered null, and
//! a null where the schema says non-null makes its nearest nullable parent null, as the
//! specification's "handling field errors" requires (the errors already say why). The schema's
//! types come from its own SDL, read once when the schema is built.

use std::collections::HashMap;

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet, ServiceDocument, Type,
    TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, Response, Value, Variables};

/// The output types of the schema: for each object type, its fields' types.
#[derive(Debug, Default)]
pub struct Shapes {
    objects: HashMap<String, HashMap<String, Type>>,
    roots: Roots,
}

/// The names of a schema's root types, as its SDL's `schema { … }` gives them.
#[derive(Debug, Clone)]
pub(crate) struct Roots {
    query: String,
    mutation: String,
    subscription: String,
}

impl Default for Roots {
    fn default() -> Self {
        Self { query: "Query".into(), mutation: "Mutation".into(), subscription: "Subscription".into() }
    }
}

impl Roots {
    pub(crate) fn of(document: &ServiceDocument) -> Self {
        let mut roots = Self::default();
        for definition in &document.definitions {
            if let TypeSystemDefinition::Schema(schema) = definition {
                let schema = &schema.node;
                if let Some(q) = &schema.query {
                    roots.query = q.node.to_string();
                }
                if let Some(m) = &schema.mutation {
                    roots.mutation = m.node.to_string();
                }
                if let Some(s) = &schema.subscription {
                    roots.subscription = s.node.to_string();
                }
            }
        }
        roots
    }

    /// The type an operation of kind `ty` starts from.
    pub(crate) fn of_operation(&self, ty: OperationType) -> &str {
        match ty {
            OperationType::Query => &self.query,
            OperationType::Mutation => &self.mutation,
            OperationType::Subscription => &self.subscription,
        }
    }
}

/// The operation a request runs: the one named, or the document's only one (as the
/// specification's GetOperation; anything else is async-graphql's error to give).
pub(crate) fn chosen_operation<'d>(
    document: &'d ExecutableDocument,
    name: Option<&str>,
) -> Option<&'d async_graphql::Positioned<OperationDefinition>> {
    match name {
        Some(name) => document.operations.iter().find(|(n, _)| n.is_some_and(|n| n.as_str() == name)).map(|(_, o)| o),
        None if document.operations.iter().count() == 1 => document.operations.iter().next().map(|(_, o)| o),
        None => None,
    }
}

/// A field whose value is null although the schema says it cannot be: its parent must be null.
struct NullPropagates;

impl Shapes {
    /// The types of the schema `sdl` describes.
    pub fn from_sdl(sdl: &str) -> Self {
        match async_graphql::parser::parse_schema(sdl) {
            Ok(document) => Self::from_document(&document),
            Err(_) => Self::from_document(&ServiceDocument { definitions: Vec::new() }),
        }
    }

    /// The types of the schema `document` describes.
    pub fn from_document(document: &ServiceDocument) -> Self {
        let mut shapes = Shapes { roots: Roots::of(document), ..Self::default() };
        for definition in &document.definitions {
            match definition {
                TypeSystemDefinition::Schema(_) => {}
                TypeSystemDefinition::Type(t) => {
                    if let TypeKind::Object(object) = &t.node.kind {
                        let fields = object
                            .fields
                            .iter()
                            .map(|f| (f.node.name.node.to_string(), f.node.ty.node.clone()))
                            .collect();
                        shapes.objects.insert(t.node.name.node.to_string(), fields);
                    }
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        shapes
    }

    /// Puts `response`'s data in the shape the specification gives it for `document`'s operation.
    pub fn shape(
        &self,
        document: &ExecutableDocument,
        operation: Option<&str>,
        variables: &Variables,
        response: &mut Response,
    ) {
        let Some(operation) = chosen_operation(document, operation) else { return };
        let root = self.roots.of_operation(operation.node.ty);
        if matches!(response.data, Value::Null) {
            return;
        }
        let walker = Walker { shapes: self, document, variables };
        let data = std::mem::take(&mut response.data);
        response.data = match walker.object(data, &[&operation.node.selection_set.node], root) {
            Ok(value) => value,
            Err(NullPropagates) => Value::Null,
        };
    }
}

struct Walker<'a> {
    shapes: &'a Shapes,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
}

impl Walker<'_> {
    /// Whether `@skip` / `@include` keep a selection.
    fn included(&self, directives: &[async_graphql::Positioned<async_graphql::parser::types::Directive>]) -> bool {
        for directive in directives {
            let name = directive.node.name.node.as_str();
            if name != "skip" && name != "include" {
                continue;
            }
            let condition = directive
                .node
                .get_argument("if")
                .and_then(|v| v.node.clone().into_const_with(|var| self.variables.get(&var).cloned().ok_or(())).ok());
            let Some(Value::Boolean(value)) = condition else { continue };
            let keep = if name == "skip" { !value } else { value };
            if !keep {
                return false;
            }
        }
        true
    }

    /// The fields of `set`, fragments expanded, in the document's order: (response key, field
    /// name, sub-selections), the same key once with its sub-selections merged.
    fn collect<'d>(&'d self, set: &'d SelectionSet, out: &mut Vec<(Name, Name, Vec<&'d SelectionSet>)>) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    if !self.included(&field.directives) {
                        continue;
                    }
                    let key = field.response_key().node.clone();
                    match out.iter_mut().find(|(k, _, _)| *k == key) {
                        Some((_, _, sets)) => sets.push(&field.selection_set.node),
                        None => out.push((key, field.name.node.clone(), vec![&field.selection_set.node])),
                    }
                }
                Selection::InlineFragment(fragment) => {
                    if self.included(&fragment.node.directives) {
                        self.collect(&fragment.node.selection_set.node, out);
                    }
                }
                Selection::FragmentSpread(spread) => {
                    if !self.included(&spread.node.directives) {
                        continue;
                    }
                    if let Some(fragment) = self.document.fragments.get(&spread.node.fragment_name.node) {
                        self.collect(&fragment.node.selection_set.node, out);
                    }
                }
            }
        }
    }

    /// An object of type `type_name` as `sets` select it (one set, or several where the document
    /// selects the same key more than once: their fields merge, in order of first appearance).
    fn object(&self, value: Value, sets: &[&SelectionSet], type_name: &str) -> Result<Value, NullPropagates> {
        let Value::Object(mut map) = value else { return Ok(value) };
        let Some(fields) = self.shapes.objects.get(type_name) else {
            // Introspection types and the like: left as async-graphql answered them.
            return Ok(Value::Object(map));
        };
        let mut selected = Vec::new();
        for set in sets {
            self.collect(set, &mut selected);
        }
        // In place: a key already in its place (the common case once async-graphql's fields come
        // back in order) costs a lookup, not a new map.
        for (position, (key, name, sub)) in selected.into_iter().enumerate() {
            let answered = match map.get_index_of(&key) {
                Some(at) if at != position => {
                    map.move_index(at, position);
                    true
                }
                Some(_) => true,
                None => {
                    map.shift_insert(position, key.clone(), Value::Null);
                    false
                }
            };
            let Some(ty) = fields.get(name.as_str()) else { continue }; // `__typename`
            let slot = &mut map[position];
            let value = std::mem::take(slot);
            *slot = if answered { self.typed(value, &sub, ty)? } else { self.null_for(ty)? };
        }
        Ok(Value::Object(map))
    }

    /// A value of type `ty`, selected by `sets`; a null the type forbids propagates.
    ///
    /// A null answered where the type is a non-null object is async-graphql's answer for an
    /// object none of whose selected fields resolved (each failed, with its error): no resolver
    /// can answer null there, so it is shaped as that object, each field null in its turn. A
    /// person's `patient { name }` refused in one list item must not take the whole list with it.
    fn typed(&self, value: Value, sets: &[&SelectionSet], ty: &Type) -> Result<Value, NullPropagates> {
        let value = match (&ty.base, value) {
            (BaseType::Named(name), Value::Null) if !ty.nullable && self.shapes.objects.contains_key(name.as_str()) => {
                Value::Object(Default::default())
            }
            (_, value) => value,
        };
        let shaped = match (&ty.base, value) {
            (_, Value::Null) => Value::Null,
            (BaseType::List(inner), Value::List(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match self.typed(item, sets, inner) {
                        Ok(v) => out.push(v),
                        Err(NullPropagates) => return self.null_for(ty),
                    }
                }
                Value::List(out)
            }
            (BaseType::Named(name), value @ Value::Object(_)) => match self.object(value, sets, name.as_str()) {
                Ok(v) => v,
                Err(NullPropagates) => return self.null_for(ty),
            },
            (_, value) => value,
        };
        if matches!(shaped, Value::Null) {
            return self.null_for(ty);
        }
        Ok(shaped)
    }

    /// Null, where `ty` allows it; else the null propagates to the parent.
    fn null_for(&self, ty: &Type) -> Result<Value, NullPropagates> {
        if ty.nullable {
            Ok(Value::Null)
        } else {
            Err(NullPropagates)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        type Query { me: Me! maybe: Me things: [Thing!]! }
        type Me { a: String! b: Int c: Thing! d: Thing }
        type Thing { x: String! y: String }
        schema { query: Query }
    "#;

    fn shaped(query: &str, data: serde_json::Value) -> serde_json::Value {
        let shapes = Shapes::from_sdl(SDL);
        let doc = async_graphql::parser::parse_query(query).unwrap();
        let mut response = Response::new(Value::from_json(data).unwrap());
        shapes.shape(&doc, None, &Variables::default(), &mut response);
        response.data.into_json().unwrap()
    }

    /// The data as the server writes it: keys in the value's own order.
    fn text(query: &str, data: serde_json::Value) -> String {
        let shapes = Shapes::from_sdl(SDL);
        let doc = async_graphql::parser::parse_query(query).unwrap();
        let mut response = Response::new(Value::from_json(data).unwrap());
        shapes.shape(&doc, None, &Variables::default(), &mut response);
        serde_json::to_string(&response.data).unwrap()
    }

    #[test]
    fn keys_follow_the_selection_with_aliases_and_fragments() {
        let data = serde_json::json!({ "me": { "c": { "y": "2", "x": "1" }, "b": 1, "first": "a" } });
        let got = text("{ me { first: a ...F c { x y } } } fragment F on Me { b }", data);
        assert_eq!(got, r#"{"me":{"first":"a","b":1,"c":{"x":"1","y":"2"}}}"#);
    }

    #[test]
    fn a_missing_nullable_field_is_null_and_a_missing_non_null_one_nulls_its_parent() {
        let got = shaped("{ maybe { a b } }", serde_json::json!({ "maybe": { "a": "x" } }));
        assert_eq!(got, serde_json::json!({ "maybe": { "a": "x", "b": null } }));
        let got = shaped("{ maybe { a b } }", serde_json::json!({ "maybe": { "b": 1 } }));
        assert_eq!(got, serde_json::json!({ "maybe": null }), "a is String!: maybe is nulled");
        // Up through non-null parents to the first nullable one (here: none, so data is null).
        let got = shaped("{ me { c { x } } }", serde_json::json!({ "me": { "c": {} } }));
        assert_eq!(got, serde_json::Value::Null);
        // A non-null list item nulls the list, and up.
        let got = shaped(
            "{ things { x } maybe { b } }",
            serde_json::json!({ "things": [{ "x": "1" }, {}], "maybe": { "b": 2 } }),
        );
        assert_eq!(got, serde_json::Value::Null);
    }

    /// async-graphql answers null for an object whose every selected field failed: where the type
    /// is a non-null object that is the object with its fields null, so a nullable field nulls
    /// only itself.
    #[test]
    fn an_object_whose_every_field_failed_is_that_object_with_nulls() {
        let got = shaped("{ things { y } }", serde_json::json!({ "things": [{ "y": "1" }, null] }));
        assert_eq!(got, serde_json::json!({ "things": [{ "y": "1" }, { "y": null }] }));
        // A non-null field of it still nulls it, and up.
        let got = shaped("{ things { x } }", serde_json::json!({ "things": [{ "x": "1" }, null] }));
        assert_eq!(got, serde_json::Value::Null);
        // A nullable object answered null stays null.
        let got = shaped("{ maybe { b } }", serde_json::json!({ "maybe": null }));
        assert_eq!(got, serde_json::json!({ "maybe": null }));
    }

    #[test]
    fn skipped_fields_are_not_answered() {
        let got = shaped("{ maybe { a b @skip(if: true) } }", serde_json::json!({ "maybe": { "a": "x" } }));
        assert_eq!(got, serde_json::json!({ "maybe": { "a": "x" } }));
    }
}
