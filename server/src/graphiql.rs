//! GraphiQL served from the binary, for networks that cannot reach a CDN (locked-down NHS
//! networks among them): its scripts and styles are embedded (`server/assets/graphiql`, refreshed by
//! its `update.sh` from npm at pinned versions) and served under `/graphiql/`. The page opens with
//! the example operations of `docs/operations` as tabs, a Headers template for the bearer token,
//! a line saying how to get one, and subscriptions over the same WebSocket endpoint, authenticated
//! by the same header.

use std::collections::BTreeMap;

use async_graphql::parser::types::{BaseType, Type};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// The example operations, in the order GraphiQL shows them: (file name, text).
pub const OPERATIONS: &[(&str, &str)] = &[
    ("01-cohorts.graphql", include_str!("../../docs/operations/01-cohorts.graphql")),
    ("02-record.graphql", include_str!("../../docs/operations/02-record.graphql")),
    ("03-referrals.graphql", include_str!("../../docs/operations/03-referrals.graphql")),
    ("04-feedback.graphql", include_str!("../../docs/operations/04-feedback.graphql")),
    ("05-groups.graphql", include_str!("../../docs/operations/05-groups.graphql")),
    ("06-figures.graphql", include_str!("../../docs/operations/06-figures.graphql")),
    ("07-care-plans.graphql", include_str!("../../docs/operations/07-care-plans.graphql")),
    ("08-community-assets.graphql", include_str!("../../docs/operations/08-community-assets.graphql")),
    ("09-outcomes.graphql", include_str!("../../docs/operations/09-outcomes.graphql")),
    ("10-mdt-meetings.graphql", include_str!("../../docs/operations/10-mdt-meetings.graphql")),
    ("11-mdt-preparation.graphql", include_str!("../../docs/operations/11-mdt-preparation.graphql")),
    ("12-live.graphql", include_str!("../../docs/operations/12-live.graphql")),
    ("13-privacy.graphql", include_str!("../../docs/operations/13-privacy.graphql")),
    ("14-administration.graphql", include_str!("../../docs/operations/14-administration.graphql")),
    ("15-registration.graphql", include_str!("../../docs/operations/15-registration.graphql")),
];

/// The embedded assets: (name under /graphiql/, content type, bytes).
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("graphiql.min.js", "text/javascript; charset=utf-8", include_bytes!("../assets/graphiql/graphiql.min.js")),
    ("graphiql.min.css", "text/css; charset=utf-8", include_bytes!("../assets/graphiql/graphiql.min.css")),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react-dom.production.min.js"),
    ),
    ("LICENSES", "text/plain; charset=utf-8", include_bytes!("../assets/graphiql/LICENSES")),
];

/// The token line the Headers pane starts with.
pub const HEADERS_TEMPLATE: &str =
    "{\n  \"Authorization\": \"Bearer <paste a token: neighbourhood token --role coordinator>\"\n}";

/// GET /graphiql/{name}: one embedded asset, cacheable for a day (the names change with the page).
pub fn asset(name: &str) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, bytes)) => {
            let mut response = (*bytes).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
            response
        }
        None => (StatusCode::NOT_FOUND, "no such GraphiQL asset").into_response(),
    }
}

/// A tab's name: the file's name without its number and extension ("03-referrals.graphql" → "referrals").
fn tab_title(file: &str) -> String {
    let stem = file.trim_end_matches(".graphql");
    stem.split_once('-').map(|(_, rest)| rest).unwrap_or(stem).replace('-', " ")
}

/// Example variables for a tab: every variable its operations declare, with a value of the right
/// shape to replace (ids say where to find one).
pub fn example_variables(text: &str) -> serde_json::Value {
    let mut variables = BTreeMap::new();
    let Ok(document) = async_graphql::parser::parse_query(text) else { return serde_json::json!({}) };
    for (_, operation) in document.operations.iter() {
        for definition in &operation.node.variable_definitions {
            let definition = &definition.node;
            let name = definition.name.node.to_string();
            variables.entry(name.clone()).or_insert_with(|| example_value(&name, &definition.var_type.node));
        }
    }
    serde_json::to_value(variables).unwrap_or_default()
}

fn example_value(name: &str, ty: &Type) -> serde_json::Value {
    let BaseType::Named(type_name) = &ty.base else { return serde_json::json!([]) };
    match type_name.as_str() {
        "ID" => match name {
            "neighbourhoodId" => "<an id from { me { neighbourhoods { id } } }>".into(),
            "patientId" | "id" if ty.nullable => serde_json::Value::Null,
            "patientId" => "<a person's id, from FrailCohort>".into(),
            _ => format!("<{name}>").into(),
        },
        "Date" => "2026-09-01".into(),
        "DateTime" => "2026-12-10T10:00:00Z".into(),
        "Int" => 20.into(),
        "Boolean" => true.into(),
        _ if ty.nullable => serde_json::Value::Null,
        _ => format!("<{name}>").into(),
    }
}

/// The GraphiQL page: the embedded assets, the example tabs, the Headers template.
pub fn page(endpoint: &str) -> Html<String> {
    let tabs: Vec<serde_json::Value> = OPERATIONS
        .iter()
        .map(|(file, text)| {
            serde_json::json!({
                "title": tab_title(file),
                "query": text,
                "variables": serde_json::to_string_pretty(&example_variables(text)).unwrap_or_default(),
            })
        })
        .collect();
    // JSON inside a <script>: "</" would end it.
    let tabs = serde_json::to_string(&tabs).unwrap_or_else(|_| "[]".into()).replace("</", "<\\/");
    let endpoint_json = serde_json::to_string(endpoint).unwrap_or_else(|_| "\"/graphql\"".into());
    Html(format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Neighbourhood · GraphiQL</title>
<link rel="stylesheet" href="/graphiql/graphiql.min.css">
<style>
  body {{ margin: 0; height: 100vh; display: flex; flex-direction: column; font-family: system-ui, sans-serif; }}
  #help {{ padding: 6px 12px; font-size: 13px; background: #f3f4f6; border-bottom: 1px solid #d1d5db; }}
  #help code {{ background: #e5e7eb; padding: 1px 4px; border-radius: 3px; }}
  #graphiql {{ flex: 1; min-height: 0; }}
</style>
</head>
<body>
<div id="help">Get a token with <code>neighbourhood token --role coordinator</code> (other roles:
<code>--role gp</code>, <code>link-worker</code>, <code>vcse</code>, …) and paste it into <b>Headers</b>
as <code>"Authorization": "Bearer …"</code>; the schema and every request use it. Subscriptions run
over a WebSocket at the same address and send the same header in <code>connection_init</code>.
The tabs are the examples of <code>docs/operations</code>.</div>
<div id="graphiql">Loading GraphiQL…</div>
<script src="/graphiql/react.production.min.js"></script>
<script src="/graphiql/react-dom.production.min.js"></script>
<script src="/graphiql/graphiql.min.js"></script>
<script>
  const endpoint = {endpoint_json};
  const socket = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + endpoint;
  const fetcher = GraphiQL.createFetcher({{ url: endpoint, subscriptionUrl: socket }});
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {{
      fetcher,
      defaultTabs: {tabs},
      defaultHeaders: {headers},
      shouldPersistHeaders: true,
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: "headers",
    }})
  );
</script>
</body>
</html>
"#,
        headers = serde_json::to_string(HEADERS_TEMPLATE).unwrap_or_default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of docs/operations is a tab, and every tab a file.
    #[test]
    fn every_example_operation_file_is_a_tab() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/operations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".graphql"))
            .collect();
        files.sort();
        let tabs: Vec<&str> = OPERATIONS.iter().map(|(f, _)| *f).collect();
        assert_eq!(files, tabs);
        for (file, text) in OPERATIONS {
            assert_eq!(*text, std::fs::read_to_string(format!("{dir}/{file}")).unwrap(), "{file}");
        }
    }

    #[test]
    fn tabs_get_example_variables_of_the_right_shape() {
        let vars = example_variables(
            "query A($neighbourhoodId: ID!, $from: Date!, $after: String) { x } mutation B($x: ID!) { y }",
        );
        assert_eq!(vars["from"], "2026-09-01");
        assert!(vars["neighbourhoodId"].as_str().unwrap().contains("me"));
        assert!(vars["after"].is_null());
        assert_eq!(vars["x"], "<x>");
        assert_eq!(tab_title("03-referrals.graphql"), "referrals");
        assert!(!page("/graphql").0.contains("unpkg") && !page("/graphql").0.contains("cdn."), "nothing from a CDN");
    }
}
