//! The layers, as the compiler sees them: each workspace crate may depend only on the crates below
//! it, the domain on nothing that speaks GraphQL or HTTP, the GraphQL schema (`api`) on nothing
//! that speaks HTTP, JWT or the command line (the `server` crate's), and the production build of
//! the binary (`--no-default-features`) on no demo generator. Read from `cargo metadata` and `cargo tree`, so
//! a `Cargo.toml` that reaches up fails here, whatever the code does with it.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

/// Each workspace crate with the workspace crates it may depend on (normal and build
/// dependencies; dev-dependencies are the tests' business).
const ALLOWED: &[(&str, &[&str])] = &[
    ("entity", &[]),
    ("migration", &[]),
    ("domain", &["entity"]),
    ("demo", &["domain", "entity"]),
    ("api", &["domain", "entity"]),
    ("server", &["api", "domain", "entity", "migration"]),
    ("neighbourhood", &["api", "demo", "server"]),
];

/// What only the server may reach: the transport, the tokens, the command line, metrics and
/// migrations. Neither the GraphQL schema nor the domain reaches any of them.
const THE_SERVERS: &[&str] = &[
    "axum",
    "hyper",
    "tower",
    "tower-http",
    "tungstenite",
    "clap",
    "jsonwebtoken",
    "prometheus-client",
    "sea-orm-migration",
];

/// What the domain must not reach beyond `THE_SERVERS`: GraphQL.
const NOT_IN_THE_DOMAIN: &[&str] = &["async-graphql"];

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// The machine's own target: the graph for it needs no package that the build did not fetch.
fn host() -> String {
    let out = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned()))
        .arg("-vV")
        .output()
        .expect("run rustc -vV");
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().find_map(|line| line.strip_prefix("host: ")).expect("rustc -vV names the host").to_owned()
}

fn metadata() -> Value {
    let out = cargo()
        .args(["metadata", "--format-version", "1", "--offline", "--filter-platform", &host()])
        .output()
        .expect("run cargo metadata");
    assert!(out.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("cargo metadata's JSON")
}

/// Package id -> name, for every package in the resolved graph.
fn names(meta: &Value) -> BTreeMap<String, String> {
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap().to_owned(), p["name"].as_str().unwrap().to_owned()))
        .collect()
}

/// Package id -> ids of its normal and build dependencies, as resolved.
fn edges(meta: &Value) -> BTreeMap<String, Vec<String>> {
    meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| {
            let deps = node["deps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|dep| dep["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].as_str() != Some("dev")))
                .map(|dep| dep["pkg"].as_str().unwrap().to_owned())
                .collect();
            (node["id"].as_str().unwrap().to_owned(), deps)
        })
        .collect()
}

fn workspace_ids(meta: &Value, names: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| {
            let id = id.as_str().unwrap().to_owned();
            (names[&id].clone(), id)
        })
        .collect()
}

#[test]
fn every_crate_depends_only_on_the_layers_below_it() {
    let meta = metadata();
    let names = names(&meta);
    let edges = edges(&meta);
    let members = workspace_ids(&meta, &names);
    let listed: BTreeSet<&str> = ALLOWED.iter().map(|(name, _)| *name).collect();
    let present: BTreeSet<&str> = members.keys().map(String::as_str).collect();
    assert_eq!(present, listed, "a workspace crate was added or removed: give it its place in ALLOWED");
    let mut wrong = Vec::new();
    for (name, allowed) in ALLOWED {
        for dep in &edges[&members[*name]] {
            let dep_name = names[dep].as_str();
            if members.contains_key(dep_name) && !allowed.contains(&dep_name) {
                wrong.push(format!("{name} depends on {dep_name}"));
            }
        }
    }
    assert!(wrong.is_empty(), "dependencies that cross the layers: {wrong:?}");
}

/// Every package `krate` reaches through normal and build dependencies.
fn reachable(krate: &str) -> BTreeSet<String> {
    let meta = metadata();
    let names = names(&meta);
    let edges = edges(&meta);
    let members = workspace_ids(&meta, &names);
    let mut seen = BTreeSet::new();
    let mut stack = vec![members[krate].clone()];
    while let Some(id) = stack.pop() {
        if seen.insert(id.clone()) {
            stack.extend(edges[&id].iter().cloned());
        }
    }
    seen.iter().map(|id| names[id].clone()).collect()
}

#[test]
fn the_domain_reaches_nothing_that_speaks_graphql_or_http() {
    let reached = reachable("domain");
    assert!(reached.contains("sea-orm"), "the walk found the domain's dependencies: {reached:?}");
    let found: Vec<&&str> =
        NOT_IN_THE_DOMAIN.iter().chain(THE_SERVERS).filter(|name| reached.contains(**name)).collect();
    assert!(found.is_empty(), "the domain reaches {found:?}");
}

#[test]
fn the_schema_reaches_nothing_that_speaks_http_or_tokens() {
    let reached = reachable("api");
    assert!(reached.contains("async-graphql"), "the walk found the schema's dependencies: {reached:?}");
    let found: Vec<&&str> = THE_SERVERS.iter().filter(|name| reached.contains(**name)).collect();
    assert!(found.is_empty(), "the GraphQL crate reaches {found:?}");
    // And the server does reach them: the lists name crates that are really in the graph.
    let served = reachable("server");
    let missing: Vec<&&str> = THE_SERVERS.iter().filter(|name| !served.contains(**name)).collect();
    assert!(missing.is_empty(), "the server no longer uses {missing:?}: take them off THE_SERVERS");
}

#[test]
fn the_production_binary_carries_no_demo() {
    let tree = |features: &[&str]| {
        let out = cargo()
            .args(["tree", "--offline", "-p", "neighbourhood", "-e", "normal", "--prefix", "none", "--format", "{p}"])
            .args(features)
            .output()
            .expect("run cargo tree");
        assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let has_demo = |tree: &str| tree.lines().any(|line| line.split_whitespace().next() == Some("demo"));
    assert!(has_demo(&tree(&[])), "the default build serves --demo, so it carries the generator");
    assert!(!has_demo(&tree(&["--no-default-features"])), "a production build must not carry the demo generator");
}
