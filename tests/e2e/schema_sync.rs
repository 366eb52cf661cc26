//! `schema.graphql` must equal the SDL the server exposes. `UPDATE_SCHEMA=1 cargo test` rewrites it.

#[test]
fn schema_graphql_is_in_sync_with_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let served = api::schema::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &served).expect("write schema.graphql");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == served,
        "schema.graphql is out of date: run `UPDATE_SCHEMA=1 cargo test --test e2e schema_sync` and commit the result"
    );
}
