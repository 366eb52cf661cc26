//! The one schema builder used by the server, the tests and the SDL export, with every request
//! limit applied: depth, complexity, aliases and field count (`__typename` included), and
//! introspection and suggestions as configured.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{
    ErrorExtensionValues, MergedObject, Request, Response, Schema, ServerError, ServerResult, ValidationResult,
};
use futures::stream::{BoxStream, StreamExt};

use crate::administration::{AdministrationMutation, AdministrationQuery};
use crate::cohorts::{CohortMutation, CohortQuery};
use crate::directory::{DirectoryEditMutation, DirectoryMutation, DirectoryQuery};
use crate::groups::{GroupMutation, GroupQuery};
use crate::imports::ImportMutation;
use crate::input_check::InputTypes;
use crate::live::SubscriptionRoot;
use crate::mdt::{MdtMutation, MdtProposalMutation, MdtProposalQuery, MdtQuery};
use crate::neighbourhoods::NeighbourhoodQuery;
use crate::organisations::OrganisationQuery;
use crate::outcomes::{OutcomeMutation, OutcomeQuery};
use crate::patients::{BreakGlassMutation, CareTeamMutation, ObjectionMutation, PatientQuery, RegistrationMutation};
use crate::plans::{PlanMutation, PlanQuery};
use crate::practitioners::PractitionerQuery;
use crate::privacy::{PrivacyMutation, PrivacyQuery};
use crate::referrals::{FiguresQuery, ReferralMutation, ReferralQuery};
use crate::response_shape::Shapes;
use domain::error::code;

/// The schema's query type, `Query` (named as clients expect, not after the Rust type).
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    PractitionerQuery,
    NeighbourhoodQuery,
    OrganisationQuery,
    PatientQuery,
    CohortQuery,
    ReferralQuery,
    GroupQuery,
    FiguresQuery,
    OutcomeQuery,
    PlanQuery,
    DirectoryQuery,
    MdtQuery,
    MdtProposalQuery,
    PrivacyQuery,
    AdministrationQuery,
);

/// The schema's mutation type, `Mutation`.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    CohortMutation,
    ReferralMutation,
    GroupMutation,
    OutcomeMutation,
    PlanMutation,
    DirectoryMutation,
    DirectoryEditMutation,
    MdtMutation,
    MdtProposalMutation,
    CareTeamMutation,
    BreakGlassMutation,
    ObjectionMutation,
    PrivacyMutation,
    AdministrationMutation,
    RegistrationMutation,
    ImportMutation,
);

/// The schema behind the one door every request goes through: a document's shape is checked
/// (`ShapeLimits`) before async-graphql sees it. The only way to run a request is through
/// `execute` or `execute_stream`, so no entry point (HTTP, batch, WebSocket, tests) can skip it.
///
/// The check is not an async-graphql extension, although that would fit: with any extension
/// installed, async-graphql sends every field of every response through the extension chain (a
/// registry lookup by type and field name, and nested futures), a cost every list pays (measured:
/// bench/README.md, "Measurements behind the code").
#[derive(Clone)]
pub struct AppSchema {
    schema: Schema<QueryRoot, MutationRoot, SubscriptionRoot>,
    shape: ShapeLimits,
    /// What every response is put into the shape of (`response_shape`).
    shapes: Arc<Shapes>,
    /// What every request's variables and arguments are checked against (`input_check`).
    inputs: Arc<InputTypes>,
    /// Says how complex a refused document is (built the first time one is refused).
    measure: Arc<OnceLock<Schema<QueryRoot, MutationRoot, SubscriptionRoot>>>,
}

/// What shaping a request's responses needs of it, taken before the request is executed.
struct Shaping {
    document: ExecutableDocument,
    operation: Option<String>,
    variables: async_graphql::Variables,
}

impl Shaping {
    fn of(request: &mut Request) -> Option<Self> {
        let document = request.parsed_query().ok()?.clone();
        Some(Self { document, operation: request.operation_name.clone(), variables: request.variables.clone() })
    }

    /// The request errors of malformed input (`input_check`), when there are any.
    fn refuse_input(&self, inputs: &InputTypes) -> Option<Response> {
        let errors = inputs.check(&self.document, self.operation.as_deref(), &self.variables);
        (!errors.is_empty()).then(|| Response::from_errors(errors))
    }

    fn apply(&self, shapes: &Shapes, mut response: Response) -> Response {
        shapes.shape(&self.document, self.operation.as_deref(), &self.variables, &mut response);
        response
    }
}

/// async-graphql's refusal of a document over the complexity limit, which says nothing more.
const TOO_COMPLEX: &str = "Query is too complex.";

impl AppSchema {
    pub async fn execute(&self, request: impl Into<Request>) -> Response {
        let mut request = request.into();
        if let Err(error) = self.shape.check(&mut request) {
            return Response::from_errors(vec![error]);
        }
        let Some(shaping) = Shaping::of(&mut request) else { return self.schema.execute(request).await };
        if let Some(refused) = shaping.refuse_input(&self.inputs) {
            return refused;
        }
        let response = self.schema.execute(request).await;
        let response = self.explain(&shaping, response).await;
        shaping.apply(&self.shapes, response)
    }

    /// A subscription's results (or a query's or mutation's one response) as a stream.
    pub fn execute_stream(&self, request: impl Into<Request>) -> BoxStream<'static, Response> {
        let mut request = request.into();
        if let Err(error) = self.shape.check(&mut request) {
            return futures::stream::once(async move { Response::from_errors(vec![error]) }).boxed();
        }
        let Some(shaping) = Shaping::of(&mut request) else { return self.schema.execute_stream(request) };
        if let Some(refused) = shaping.refuse_input(&self.inputs) {
            return futures::stream::once(async move { refused }).boxed();
        }
        let this = self.clone();
        let shaping = Arc::new(shaping);
        self.schema
            .execute_stream(request)
            .then(move |response| {
                let (this, shaping) = (this.clone(), shaping.clone());
                async move {
                    let response = this.explain(&shaping, response).await;
                    shaping.apply(&this.shapes, response)
                }
            })
            .boxed()
    }

    /// Puts the complexity found and the limit into async-graphql's bare "Query is too complex.".
    async fn explain(&self, shaping: &Shaping, mut response: Response) -> Response {
        let [error] = response.errors.as_mut_slice() else { return response };
        if error.message != TOO_COMPLEX {
            return response;
        }
        let measure = self.measure.get_or_init(|| {
            Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot::default())
                .extension(Measure)
                .limit_recursive_depth(64)
                .limit_directives(10)
                .finish()
        });
        // The document as parsed already: no text needed, and nothing kept per request for this.
        let mut probe = Request::new(String::new()).variables(shaping.variables.clone());
        probe.set_parsed_query(shaping.document.clone());
        if let Some(name) = &shaping.operation {
            probe = probe.operation_name(name.clone());
        }
        let measured = measure.execute(probe).await;
        let found = measured
            .errors
            .first()
            .and_then(|e| e.extensions.as_ref())
            .and_then(|x| x.get("complexity"))
            .map(|v| v.to_string())
            .unwrap_or_else(|| "more".to_owned());
        *error = limit_error(format!(
            "the request's complexity is {found} (each field costs 1, and a page multiplies what it selects by \
             its size, `first`); this server allows at most {} (--max-complexity, NEIGHBOURHOOD_MAX_COMPLEXITY): \
             ask for smaller pages or fewer fields",
            self.shape.max_complexity
        ));
        response
    }

    /// The schema as SDL, scalars with their `@specifiedBy` format.
    pub fn sdl(&self) -> String {
        self.schema.sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
    }
}

/// Stops every request after validation with its measured complexity, so that a refusal can say
/// how complex the document was without running it.
struct Measure;

struct Measured;

impl ExtensionFactory for Measure {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Measured)
    }
}

#[async_trait::async_trait]
impl Extension for Measured {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let mut error = ServerError::new("measured, not run", None);
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("complexity", result.complexity as u64);
        error.extensions = Some(extensions);
        Err(vec![error])
    }
}

/// What a schema is built with: the limits every request is held to, and whether it answers
/// introspection and suggests field names. The server's flags default to `DEFAULT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaSettings {
    /// Deepest selection nesting.
    pub max_depth: u32,
    /// Highest query complexity (each field costs 1; list fields multiply by their page size).
    pub max_complexity: u32,
    /// Most aliased fields in one request (aliases of `__typename` included).
    pub max_aliases: u32,
    /// Most field selections in one request after expanding fragments (`__typename` included).
    pub max_fields: u32,
    /// "Did you mean …" suggestions on unknown fields.
    pub field_suggestions: bool,
    pub introspection: bool,
}

impl SchemaSettings {
    pub const DEFAULT: Self = Self {
        max_depth: 12,
        max_complexity: 5_000,
        max_aliases: 30,
        max_fields: 500,
        field_suggestions: false,
        introspection: false,
    };
}

impl Default for SchemaSettings {
    fn default() -> Self {
        Self::DEFAULT
    }
}

pub fn build_schema(settings: &SchemaSettings) -> AppSchema {
    let limits = settings;
    let mut builder = Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot::default())
        .limit_complexity(limits.max_complexity as usize)
        .limit_recursive_depth(64)
        .limit_directives(10);
    if !settings.introspection {
        builder = builder.disable_introspection();
    }
    if !limits.field_suggestions {
        builder = builder.disable_suggestions();
    }
    let schema = builder.finish();
    let sdl = async_graphql::parser::parse_schema(schema.sdl()).expect("the schema's own SDL parses");
    let shapes = Arc::new(Shapes::from_document(&sdl));
    let inputs = Arc::new(InputTypes::from_document(&sdl));
    AppSchema {
        schema,
        shapes,
        inputs,
        measure: Arc::new(OnceLock::new()),
        shape: ShapeLimits {
            max_aliases: limits.max_aliases as usize,
            max_fields: limits.max_fields as usize,
            max_depth: limits.max_depth as usize,
            max_complexity: limits.max_complexity as usize,
            introspection: settings.introspection,
        },
    }
}

/// The SDL the server exposes (what `schema.graphql` must equal).
pub fn sdl() -> String {
    build_schema(&SchemaSettings::default()).sdl()
}

/// How deep an introspection document may nest: graphql-js's standard introspection query (what
/// GraphiQL, Apollo, graphql-codegen, Postman and `gql` send) nests 15 levels, and some tools ask
/// for deeper `ofType` chains. Introspection answers come from the schema itself, not the
/// database; their size stays bounded by the field and complexity limits.
const INTROSPECTION_DEPTH: usize = 32;

/// Whether every top-level selection of every operation is `__schema`, `__type` or `__typename`.
fn introspection_only(doc: &ExecutableDocument) -> bool {
    fn meta(doc: &ExecutableDocument, set: &SelectionSet, seen: &mut HashSet<String>) -> bool {
        set.items.iter().all(|selection| match &selection.node {
            Selection::Field(field) => field.node.name.node.starts_with("__"),
            Selection::InlineFragment(fragment) => meta(doc, &fragment.node.selection_set.node, seen),
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                seen.insert(name.to_owned())
                    && doc.fragments.get(name).is_some_and(|f| meta(doc, &f.node.selection_set.node, seen))
            }
        })
    }
    doc.operations.iter().all(|(_, operation)| meta(doc, &operation.node.selection_set.node, &mut HashSet::new()))
}

/// Refuses documents with too many aliases or field selections, or nested too deep, with a
/// message that names the limit, what the document has and the setting that changes it.
/// Complexity does not count `__typename`, so without the field limit a document of a million
/// aliased `__typename`s would pass.
#[derive(Clone, Copy)]
struct ShapeLimits {
    max_aliases: usize,
    max_fields: usize,
    max_depth: usize,
    /// Only for the message: async-graphql applies it.
    max_complexity: usize,
    /// When off, `__schema` / `__type` are refused with an error rather than answered with null.
    introspection: bool,
}

/// What a selection set costs once every fragment spread is expanded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tally {
    fields: usize,
    aliases: usize,
    /// The deepest nesting of fields, counted as async-graphql does (fragments inline).
    depth: usize,
    introspection: bool,
}

impl Tally {
    /// Two selections side by side.
    fn plus(self, other: Tally) -> Tally {
        Tally {
            fields: self.fields.saturating_add(other.fields),
            aliases: self.aliases.saturating_add(other.aliases),
            depth: self.depth.max(other.depth),
            introspection: self.introspection || other.introspection,
        }
    }
}

/// Walks a document once: each fragment is tallied a single time and reused wherever it is
/// spread (spreads multiply, so expanding them naively is exponential in the document's size).
/// Counts saturate instead of overflowing.
struct Walker<'a> {
    doc: &'a ExecutableDocument,
    fragments: HashMap<&'a str, Tally>,
    in_progress: HashSet<&'a str>,
}

impl<'a> Walker<'a> {
    fn new(doc: &'a ExecutableDocument) -> Self {
        Self { doc, fragments: HashMap::new(), in_progress: HashSet::new() }
    }

    fn set(&mut self, set: &'a SelectionSet) -> Result<Tally, String> {
        let mut tally = Tally::default();
        for selection in &set.items {
            let part = match &selection.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    let own = Tally {
                        fields: 1,
                        aliases: usize::from(field.node.alias.is_some()),
                        depth: 0,
                        introspection: name == "__schema" || name == "__type",
                    };
                    let below = self.set(&field.node.selection_set.node)?;
                    let depth = below.depth.saturating_add(1);
                    Tally { depth, ..own.plus(below) }
                }
                Selection::InlineFragment(fragment) => self.set(&fragment.node.selection_set.node)?,
                Selection::FragmentSpread(spread) => self.fragment(spread.node.fragment_name.node.as_str())?,
            };
            tally = tally.plus(part);
        }
        Ok(tally)
    }

    fn fragment(&mut self, name: &'a str) -> Result<Tally, String> {
        if let Some(tally) = self.fragments.get(name) {
            return Ok(*tally);
        }
        let Some((key, definition)) = self.doc.fragments.get_key_value(name) else {
            return Err(format!("unknown fragment \"{name}\""));
        };
        let key = key.as_str();
        if !self.in_progress.insert(key) {
            return Err(format!("fragment \"{name}\" spreads itself"));
        }
        let tally = self.set(&definition.node.selection_set.node)?;
        self.in_progress.remove(key);
        self.fragments.insert(key, tally);
        Ok(tally)
    }
}

fn limit_error(message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code::GRAPHQL_VALIDATION_FAILED);
    error.extensions = Some(extensions);
    error
}

impl ShapeLimits {
    /// Runs before async-graphql's own checks: those (recursive depth, directive count) expand
    /// fragment spreads naively, so a small document of doubling fragments would hold a worker for
    /// minutes. The document is parsed here once and kept in the request, parsed, for the rest of
    /// the pipeline.
    fn check(&self, request: &mut Request) -> ServerResult<()> {
        let doc = request.parsed_query()?;
        let mut walker = Walker::new(doc);
        let mut tally = Tally::default();
        for (_, operation) in doc.operations.iter() {
            tally = tally.plus(walker.set(&operation.node.selection_set.node).map_err(limit_error)?);
        }
        if tally.introspection && !self.introspection {
            return Err(limit_error(
                "introspection is disabled on this server; the schema is published as schema.graphql".to_owned(),
            ));
        }
        if tally.aliases > self.max_aliases {
            return Err(limit_error(format!(
                "the request uses {} aliases (aliases of __typename count too); this server allows at most {} \
                 (--max-aliases, NEIGHBOURHOOD_MAX_ALIASES): split it into smaller requests",
                tally.aliases, self.max_aliases
            )));
        }
        if tally.fields > self.max_fields {
            return Err(limit_error(format!(
                "the request selects {} fields once fragments are expanded; this server allows at most {} \
                 (--max-fields, NEIGHBOURHOOD_MAX_FIELDS): split it into smaller requests",
                tally.fields, self.max_fields
            )));
        }
        let max_depth = if introspection_only(doc) { self.max_depth.max(INTROSPECTION_DEPTH) } else { self.max_depth };
        if tally.depth > max_depth {
            return Err(limit_error(format!(
                "the request nests fields {} levels deep; this server allows at most {max_depth} \
                 (--max-depth, NEIGHBOURHOOD_MAX_DEPTH)",
                tally.depth
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(query: &str) -> Result<Tally, String> {
        let doc = async_graphql::parser::parse_query(query).expect("parses");
        let mut walker = Walker::new(&doc);
        let mut total = Tally::default();
        for (_, operation) in doc.operations.iter() {
            total = total.plus(walker.set(&operation.node.selection_set.node)?);
        }
        Ok(total)
    }

    #[test]
    fn fragments_multiply_and_are_walked_once() {
        let t = tally("{ ...A } fragment A on Q { ...B ...B a: __typename } fragment B on Q { x y }").unwrap();
        assert_eq!(t, Tally { fields: 5, aliases: 1, depth: 1, introspection: false });
        // 60 levels of doubling: 2^60 fields, counted in microseconds and saturating, not overflowing.
        let mut query = String::from("{ ...F0 }");
        for i in 0..60 {
            query.push_str(&format!(" fragment F{i} on Q {{ ...F{next} ...F{next} }}", next = i + 1));
        }
        query.push_str(" fragment F60 on Q { __typename }");
        assert_eq!(tally(&query).unwrap().fields, 1 << 60);
    }

    /// async-graphql's own depth and directive checks expand spreads naively; ours must run first.
    #[tokio::test]
    async fn a_fragment_bomb_is_refused_before_anything_expands_it() {
        let schema = build_schema(&SchemaSettings::default());
        let mut bomb = String::from("{ ...F0 }");
        for i in 0..40 {
            bomb.push_str(&format!(" fragment F{i} on Query {{ ...F{n} ...F{n} }}", n = i + 1));
        }
        bomb.push_str(" fragment F40 on Query { __typename }");
        let started = std::time::Instant::now();
        let response = schema.execute(bomb.as_str()).await;
        assert!(response.errors[0].message.contains("allows at most 500"), "{:?}", response.errors);
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "took {:?}", started.elapsed());
    }

    /// Subscriptions (over WebSocket) come through `execute_stream`: the same limits hold there.
    #[tokio::test]
    async fn a_stream_is_refused_by_the_same_limits() {
        let schema = build_schema(&SchemaSettings::default());
        let aliases: String = (0..40).map(|i| format!("t{i}: __typename ")).collect();
        let replies: Vec<Response> = schema.execute_stream(format!("subscription {{ {aliases} }}")).collect().await;
        assert_eq!(replies.len(), 1, "one refusal, nothing executed");
        assert!(replies[0].errors[0].message.contains("aliases"), "{:?}", replies[0].errors);
        let introspection: Vec<Response> = schema.execute_stream("{ __schema { types { name } } }").collect().await;
        assert!(
            introspection[0].errors[0].message.contains("introspection is disabled"),
            "{:?}",
            introspection[0].errors
        );
    }

    #[test]
    fn cycles_and_unknown_fragments_are_refused() {
        assert!(tally("{ ...A } fragment A on Q { ...B } fragment B on Q { ...A }")
            .unwrap_err()
            .contains("spreads itself"));
        assert!(tally("{ ...Missing }").unwrap_err().contains("unknown fragment"));
        assert!(tally("{ __schema { types { name } } }").unwrap().introspection);
    }
}
