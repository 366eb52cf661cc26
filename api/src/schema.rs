//! The one schema builder used by the server, the tests and the SDL export, with every request
//! limit applied: depth, complexity, aliases and field count (`__typename` included), and
//! introspection and suggestions as configured.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, MergedObject, Request, Response, Schema, ServerError, ServerResult};
use futures::stream::{BoxStream, StreamExt};

use crate::cohorts::{CohortMutation, CohortQuery};
use crate::config::SchemaSettings;
use crate::directory::{DirectoryMutation, DirectoryQuery};
use crate::error::code;
use crate::groups::{GroupMutation, GroupQuery};
use crate::live::graphql::SubscriptionRoot;
use crate::mdt::{MdtMutation, MdtProposalMutation, MdtProposalQuery, MdtQuery};
use crate::neighbourhoods::NeighbourhoodQuery;
use crate::organisations::OrganisationQuery;
use crate::outcomes::{OutcomeMutation, OutcomeQuery};
use crate::patients::PatientQuery;
use crate::plans::{PlanMutation, PlanQuery};
use crate::practitioners::PractitionerQuery;
use crate::referrals::{FiguresQuery, ReferralMutation, ReferralQuery};
use crate::response_shape::Shapes;

#[derive(MergedObject, Default)]
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
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    CohortMutation,
    ReferralMutation,
    GroupMutation,
    OutcomeMutation,
    PlanMutation,
    DirectoryMutation,
    MdtMutation,
    MdtProposalMutation,
);

/// The schema behind the one door every request goes through: a document's shape is checked
/// (`ShapeLimits`) before async-graphql sees it. The only way to run a request is through
/// `execute` or `execute_stream`, so no entry point (HTTP, batch, WebSocket, tests) can skip it.
///
/// The check is not an async-graphql extension, although that would fit: with any extension
/// installed, async-graphql sends every field of every response through the extension chain (a
/// registry lookup by type and field name, and nested futures). On a caseload page that path's own
/// frames were about 6% of the server's CPU samples; without it the list scenarios of the benchmark
/// answer 12–23% more requests per second (`bench/results/api-history.md`, eleventh run).
#[derive(Clone)]
pub struct AppSchema {
    schema: Schema<QueryRoot, MutationRoot, SubscriptionRoot>,
    shape: ShapeLimits,
    /// What every response is put into the shape of (`response_shape`).
    shapes: Arc<Shapes>,
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

    fn apply(&self, shapes: &Shapes, mut response: Response) -> Response {
        shapes.shape(&self.document, self.operation.as_deref(), &self.variables, &mut response);
        response
    }
}

impl AppSchema {
    pub async fn execute(&self, request: impl Into<Request>) -> Response {
        let mut request = request.into();
        match self.shape.check(&mut request) {
            Ok(()) => {
                let shaping = Shaping::of(&mut request);
                let response = self.schema.execute(request).await;
                match shaping {
                    Some(shaping) => shaping.apply(&self.shapes, response),
                    None => response,
                }
            }
            Err(error) => Response::from_errors(vec![error]),
        }
    }

    /// A subscription's results (or a query's or mutation's one response) as a stream.
    pub fn execute_stream(&self, request: impl Into<Request>) -> BoxStream<'static, Response> {
        let mut request = request.into();
        match self.shape.check(&mut request) {
            Ok(()) => {
                let shaping = Shaping::of(&mut request);
                let shapes = self.shapes.clone();
                let stream = self.schema.execute_stream(request);
                match shaping {
                    Some(shaping) => stream.map(move |response| shaping.apply(&shapes, response)).boxed(),
                    None => stream,
                }
            }
            Err(error) => futures::stream::once(async move { Response::from_errors(vec![error]) }).boxed(),
        }
    }

    pub fn sdl(&self) -> String {
        self.schema.sdl()
    }
}

pub fn build_schema(settings: &SchemaSettings) -> AppSchema {
    let limits = &settings.limits;
    let mut builder = Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot::default())
        .limit_depth(limits.max_depth as usize)
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
    let shapes = Arc::new(Shapes::from_sdl(&schema.sdl()));
    AppSchema {
        schema,
        shapes,
        shape: ShapeLimits {
            max_aliases: limits.max_aliases as usize,
            max_fields: limits.max_fields as usize,
            introspection: settings.introspection,
        },
    }
}

/// The SDL the server exposes (what `schema.graphql` must equal).
pub fn sdl() -> String {
    build_schema(&SchemaSettings::default()).sdl()
}

/// Refuses documents with too many aliases or field selections. Complexity does not count
/// `__typename`, so without this a document of a million aliased `__typename`s would pass.
#[derive(Clone, Copy)]
struct ShapeLimits {
    max_aliases: usize,
    max_fields: usize,
    /// When off, `__schema` / `__type` are refused with an error rather than answered with null.
    introspection: bool,
}

/// What a selection set costs once every fragment spread is expanded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tally {
    fields: usize,
    aliases: usize,
    introspection: bool,
}

impl Tally {
    fn plus(self, other: Tally) -> Tally {
        Tally {
            fields: self.fields.saturating_add(other.fields),
            aliases: self.aliases.saturating_add(other.aliases),
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
                        introspection: name == "__schema" || name == "__type",
                    };
                    own.plus(self.set(&field.node.selection_set.node)?)
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
                "the request uses more than {} aliases (aliases of __typename count too); split it into smaller requests",
                self.max_aliases
            )));
        }
        if tally.fields > self.max_fields {
            return Err(limit_error(format!(
                "the request selects more than {} fields once fragments are expanded; split it into smaller requests",
                self.max_fields
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
        assert_eq!(t, Tally { fields: 5, aliases: 1, introspection: false });
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
            bomb.push_str(&format!(" fragment F{i} on QueryRoot {{ ...F{n} ...F{n} }}", n = i + 1));
        }
        bomb.push_str(" fragment F40 on QueryRoot { __typename }");
        let started = std::time::Instant::now();
        let response = schema.execute(bomb.as_str()).await;
        assert!(response.errors[0].message.contains("more than 500 fields"), "{:?}", response.errors);
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
