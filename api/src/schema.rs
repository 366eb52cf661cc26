//! The one schema builder used by the server, the tests and the SDL export, with every request
//! limit applied: depth, complexity, aliases and field count (`__typename` included), and
//! introspection and suggestions as configured.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{
    EmptySubscription, ErrorExtensionValues, MergedObject, Schema, ServerError, ServerResult, Variables,
};

use crate::cohorts::{CohortMutation, CohortQuery};
use crate::config::SchemaSettings;
use crate::error::code;
use crate::neighbourhoods::NeighbourhoodQuery;
use crate::organisations::OrganisationQuery;
use crate::patients::PatientQuery;
use crate::practitioners::PractitionerQuery;

#[derive(MergedObject, Default)]
pub struct QueryRoot(PractitionerQuery, NeighbourhoodQuery, OrganisationQuery, PatientQuery, CohortQuery);

#[derive(MergedObject, Default)]
pub struct MutationRoot(CohortMutation);

pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

pub fn build_schema(settings: &SchemaSettings) -> AppSchema {
    let limits = &settings.limits;
    let mut builder = Schema::build(QueryRoot::default(), MutationRoot::default(), EmptySubscription)
        .limit_depth(limits.max_depth as usize)
        .limit_complexity(limits.max_complexity as usize)
        .limit_recursive_depth(64)
        .limit_directives(10)
        .extension(QueryShapeLimits {
            max_aliases: limits.max_aliases as usize,
            max_fields: limits.max_fields as usize,
            introspection: settings.introspection,
        });
    if !settings.introspection {
        builder = builder.disable_introspection();
    }
    if !limits.field_suggestions {
        builder = builder.disable_suggestions();
    }
    builder.finish()
}

/// The SDL the server exposes (what `schema.graphql` must equal).
pub fn sdl() -> String {
    build_schema(&SchemaSettings::default()).sdl()
}

/// Refuses documents with too many aliases or field selections. Complexity does not count
/// `__typename`, so without this a document of a million aliased `__typename`s would pass.
struct QueryShapeLimits {
    max_aliases: usize,
    max_fields: usize,
    /// When off, `__schema` / `__type` are refused with an error rather than answered with null.
    introspection: bool,
}

impl ExtensionFactory for QueryShapeLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueryShapeLimits {
            max_aliases: self.max_aliases,
            max_fields: self.max_fields,
            introspection: self.introspection,
        })
    }
}

#[derive(Default)]
struct Tally {
    aliases: usize,
    fields: usize,
    introspection: bool,
}

/// Fragment spreads are expanded (they multiply), with a nesting guard: cycles are reported by
/// validation later, this walk only has to stop.
const MAX_SPREAD_NESTING: usize = 32;

impl Tally {
    fn walk(&mut self, doc: &ExecutableDocument, set: &SelectionSet, nesting: usize, limits: &QueryShapeLimits) {
        if nesting > MAX_SPREAD_NESTING || self.aliases > limits.max_aliases || self.fields > limits.max_fields {
            return;
        }
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    self.fields += 1;
                    let name = field.node.name.node.as_str();
                    self.introspection |= name == "__schema" || name == "__type";
                    if field.node.alias.is_some() {
                        self.aliases += 1;
                    }
                    self.walk(doc, &field.node.selection_set.node, nesting, limits);
                }
                Selection::InlineFragment(fragment) => {
                    self.walk(doc, &fragment.node.selection_set.node, nesting + 1, limits)
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = doc.fragments.get(&spread.node.fragment_name.node) {
                        self.walk(doc, &fragment.node.selection_set.node, nesting + 1, limits);
                    }
                }
            }
        }
    }
}

fn limit_error(message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code::GRAPHQL_VALIDATION_FAILED);
    error.extensions = Some(extensions);
    error
}

#[async_trait::async_trait]
impl Extension for QueryShapeLimits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let mut tally = Tally::default();
        for (_, operation) in doc.operations.iter() {
            tally.walk(&doc, &operation.node.selection_set.node, 0, self);
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
        Ok(doc)
    }
}
