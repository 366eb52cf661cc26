//! Imports of staff lists from the command line (`neighbourhood import staff`), on the test's own database (SQLite
//! or PostgreSQL): the dry run stores nothing, a real run stores the whole file or nothing, the same
//! file again changes nothing, every refusal names its line, column and value, and the import runs
//! as an administrator through the access policy and into the administration trail.

use std::process::{Command, Output};

use entity::ProfessionalRole as R;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use server::cli::DemoRole;

use crate::helpers::{spawn_app_with, AppOptions, TestApp, AUDIENCE, ISSUER, SECRET};

const HEADER: &str = "ods_code,staff_ref,given_name,family_name,role,fte,caseload_capacity,identity_subject,active";

fn run(app: &TestApp, file: &std::path::Path, subject: &str, dry_run: bool) -> Output {
    run_import(app, "staff", file, subject, dry_run)
}

/// `neighbourhood import <kind> FILE --as SUBJECT [--dry-run]` against the test's database.
pub(crate) fn run_import(app: &TestApp, kind: &str, file: &std::path::Path, subject: &str, dry_run: bool) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_neighbourhood"));
    command
        .env("DATABASE_URL", app.database_url())
        .env("NEIGHBOURHOOD_JWT_SECRET", SECRET)
        .env("NEIGHBOURHOOD_JWT_ISSUER", ISSUER)
        .env("NEIGHBOURHOOD_JWT_AUDIENCE", AUDIENCE)
        .args(["import", kind])
        .arg(file)
        .args(["--as", subject]);
    if dry_run {
        command.arg("--dry-run");
    }
    command.output().expect("run the import")
}

fn write(name: &str, rows: &[String]) -> std::path::PathBuf {
    write_csv(name, HEADER, rows)
}

/// A CSV file of `header` and `rows` in the temporary folder.
pub(crate) fn write_csv(name: &str, header: &str, rows: &[String]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("nbh-{name}-{}.csv", uuid::Uuid::new_v4().simple()));
    let mut text = String::from(header);
    for row in rows {
        text.push('\n');
        text.push_str(row);
    }
    text.push('\n');
    std::fs::write(&path, text).unwrap();
    path
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

async fn staff_with_refs(app: &TestApp) -> u64 {
    entity::practitioner::Entity::find()
        .filter(entity::practitioner::Column::StaffRef.is_not_null())
        .count(&app.db)
        .await
        .unwrap()
}

async fn imports_in_trail(app: &TestApp) -> u64 {
    entity::administration_event::Entity::find()
        .filter(entity::administration_event::Column::Action.eq("import.staff"))
        .count(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_staff_list_is_imported_whole_or_not_at_all_and_again_changes_nothing() {
    let app = spawn_app_with(AppOptions { population: 300, neighbourhoods: 1, ..AppOptions::default() }).await;
    let admin = app.practitioner(DemoRole::Administrator).await;
    let subject = admin.identity_subject.clone().unwrap();
    let gp = app.practitioner(DemoRole::Gp).await;
    let practice = entity::organisation::Entity::find_by_id(gp.organisation_id).one(&app.db).await.unwrap().unwrap();
    let code = practice.ods_code.to_lowercase();
    let rows = vec![
        format!("{code},S-1,Asha,Patel,gp,0.8,,idp-asha,yes"),
        format!("{code},S-2,Tom,Reid,PRACTICE_NURSE,1.0,,idp-tom,"),
        format!("{code},S-3,Grace,Okafor,receptionist,0.6,,,yes"),
    ];
    let file = write("staff", &rows);

    // The dry run: what would happen, nothing stored, nothing in the trail.
    let dry = run(&app, &file, &subject, true);
    assert!(dry.status.success(), "{}{}", stdout(&dry), String::from_utf8_lossy(&dry.stderr));
    let report = stdout(&dry);
    assert_eq!(report.matches("would create").count(), 3, "{report}");
    assert!(report.contains("line 2 (") && report.contains("Asha Patel"), "{report}");
    assert!(report.contains("dry run: nothing stored"), "{report}");
    assert!(String::from_utf8_lossy(&dry.stderr).is_empty(), "no progress bar when stderr is not a terminal");
    assert_eq!(staff_with_refs(&app).await, 0);
    assert_eq!(imports_in_trail(&app).await, 0);

    // The real run, then the same file again.
    let applied = run(&app, &file, &subject, false);
    assert!(applied.status.success(), "{}", stdout(&applied));
    assert!(stdout(&applied).ends_with("stored\n"), "{}", stdout(&applied));
    assert_eq!(staff_with_refs(&app).await, 3);
    let asha = entity::practitioner::Entity::find()
        .filter(entity::practitioner::Column::StaffRef.eq("S-1"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((asha.professional_role, asha.organisation_id), (R::Gp, practice.id));
    assert_eq!(asha.identity_subject.as_deref(), Some("idp-asha"));
    let again = run(&app, &file, &subject, false);
    assert!(again.status.success());
    assert_eq!(stdout(&again).matches(": unchanged").count(), 3, "{}", stdout(&again));
    let after_again = entity::practitioner::Entity::find_by_id(asha.id).one(&app.db).await.unwrap().unwrap();
    assert_eq!(after_again, asha, "importing the same file again changes nothing");
    assert_eq!(imports_in_trail(&app).await, 2, "each real run is in the trail, the dry run is not");

    // A changed list: a new role, and someone who left. The leaver is refused at their next request.
    let token = app.token_for_practitioner(&asha);
    assert_eq!(app.post_raw(Some(&token), json!({ "query": "{ me { role } }" })).await.status, 200);
    let changed = write(
        "changed",
        &[
            format!("{code},S-1,Asha,Patel,gp,0.8,,idp-asha,no"),
            // No identity in the file: Tom keeps the one stored.
            format!("{code},S-2,Tom,Reid,pharmacist,1.0,,,yes"),
            format!("{code},S-3,Grace,Okafor,receptionist,0.6,,,yes"),
        ],
    );
    let updated = run(&app, &changed, &subject, false);
    let report = stdout(&updated);
    assert!(updated.status.success(), "{report}");
    assert!(report.contains("(") && report.contains("Asha Patel): update active"), "{report}");
    assert!(report.contains("Tom Reid): update role\n"), "only the role: {report}");
    let tom = entity::practitioner::Entity::find()
        .filter(entity::practitioner::Column::StaffRef.eq("S-2"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((tom.professional_role, tom.identity_subject.as_deref()), (R::Pharmacist, Some("idp-tom")));
    assert_eq!(app.post_raw(Some(&token), json!({ "query": "{ me { role } }" })).await.status, 401);

    // A file with refused rows: each named, and nothing of it stored (not even its good rows).
    let bad = write(
        "bad",
        &[
            format!("{code},S-9,New,Person,gp,0.5,,,yes"),
            format!("{code},S-10,Too,Much,gp,1.5,,,yes"),
            "ZZZ999,S-11,No,Organisation,gp,1,,,yes".to_owned(),
            format!("{code},S-9,Same,Reference,gp,1,,,yes"),
            format!("{code},S-12,Odd,Role,astronaut,1,,,yes"),
            format!("{code},S-13,Taken,Identity,gp,1,,idp-tom,yes"),
        ],
    );
    let before = entity::practitioner::Entity::find().count(&app.db).await.unwrap();
    let refused = run(&app, &bad, &subject, false);
    let report = stdout(&refused);
    assert!(!refused.status.success(), "{report}");
    assert!(report.contains("line 3 (") && report.contains("REFUSED column fte value \"1.5\""), "{report}");
    assert!(report.contains("line 4 (") && report.contains("REFUSED column ods_code value \"ZZZ999\""), "{report}");
    assert!(report.contains("line 5 (") && report.contains("same staff_ref"), "{report}");
    assert!(report.contains("REFUSED column role value \"astronaut\""), "{report}");
    assert!(report.contains("line 7 (") && report.contains("already signs in as Tom Reid"), "{report}");
    assert!(report.contains("nothing stored"), "{report}");
    assert_eq!(entity::practitioner::Entity::find().count(&app.db).await.unwrap(), before);

    // A file that is not a staff list, and a caller who is not an administrator: refused whole.
    let wrong = std::env::temp_dir().join(format!("nbh-wrong-{}.csv", uuid::Uuid::new_v4().simple()));
    std::fs::write(&wrong, "ods_code,given_name\nX,Y\n").unwrap();
    let not_staff = run(&app, &wrong, &subject, true);
    assert!(!not_staff.status.success());
    let stderr = String::from_utf8_lossy(&not_staff.stderr);
    assert!(stderr.contains("staff_ref") && stderr.contains("family_name"), "{stderr}");
    let gp_subject = gp.identity_subject.clone().unwrap();
    let not_admin = run(&app, &file, &gp_subject, true);
    assert!(!not_admin.status.success());
    assert!(String::from_utf8_lossy(&not_admin.stderr).contains("administrators"));
    for path in [file, changed, bad, wrong] {
        let _ = std::fs::remove_file(path);
    }
}

#[tokio::test]
async fn the_documented_example_file_imports_into_the_demo() {
    let app = spawn_app_with(AppOptions { population: 300, neighbourhoods: 1, ..AppOptions::default() }).await;
    let subject = app.practitioner(DemoRole::Administrator).await.identity_subject.unwrap();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/staff.csv");
    let output = run(&app, &example, &subject, false);
    let report = stdout(&output);
    assert!(output.status.success(), "{report}{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(report.matches(": create").count(), 5, "{report}");
    let left = entity::practitioner::Entity::find()
        .filter(entity::practitioner::Column::StaffRef.eq("PICS-0398"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!left.active, "the row marked active = no is stored deactivated");
}

#[tokio::test]
async fn an_organisations_administrator_imports_only_their_own_staff() {
    let app = spawn_app_with(AppOptions { population: 300, neighbourhoods: 1, ..AppOptions::default() }).await;
    let admin = app.token(DemoRole::Administrator).await;
    let gp = app.practitioner(DemoRole::Gp).await;
    let create =
        r#"mutation P($input: CreatePractitionerInput!) { createPractitioner(input: $input) { practitioner { id } } }"#;
    app.gql(
        &admin,
        create,
        json!({ "input": { "givenName": "Mo", "familyName": "Reed", "professionalRole": "ORGANISATION_ADMINISTRATOR",
            "organisationId": gp.organisation_id, "fte": 0.6, "identitySubject": "practice-manager" } }),
    )
    .await
    .data();
    let own = entity::organisation::Entity::find_by_id(gp.organisation_id).one(&app.db).await.unwrap().unwrap();
    let other = entity::organisation::Entity::find()
        .filter(entity::organisation::Column::Id.ne(own.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let file = write(
        "own",
        &[
            format!("{},M-1,Own,Staff,practice_nurse,1,,,yes", own.ods_code),
            format!("{},M-2,Other,Staff,gp,1,,,yes", other.ods_code),
        ],
    );
    let output = run(&app, &file, "practice-manager", false);
    let report = stdout(&output);
    assert!(!output.status.success(), "{report}");
    assert!(report.contains("Own Staff): create") && report.contains("nothing stored"), "{report}");
    assert!(report.contains("Other Staff): REFUSED") && report.contains("their own organisation"), "{report}");
    assert_eq!(staff_with_refs(&app).await, 0, "nothing stored");
    let _ = std::fs::remove_file(file);
}

const UPLOAD: &str = r#"mutation Upload($file: Upload!, $dryRun: Boolean!) { importStaffList(file: $file, dryRun: $dryRun) {
    kind dryRun stored counts { created updated unchanged refused } rows { line key about outcome fields column value reason } } }"#;

/// A GraphQL multipart request (the operation, the map, one file) as a browser's form data would
/// carry it, with or without the header a forged cross-site form cannot set.
async fn upload(app: &TestApp, token: &str, file: &[u8], dry_run: bool, preflight: bool) -> crate::helpers::Reply {
    upload_to(app, token, UPLOAD, "staff.csv", file, dry_run, preflight).await
}

/// `query` (with the variables `$file` and `$dryRun`) sent with `file` as a multipart request.
pub(crate) async fn upload_to(
    app: &TestApp,
    token: &str,
    query: &str,
    filename: &str,
    file: &[u8],
    dry_run: bool,
    preflight: bool,
) -> crate::helpers::Reply {
    let boundary = format!("nbh-{}", uuid::Uuid::new_v4().simple());
    let operations = json!({ "query": query, "variables": { "file": null, "dryRun": dry_run } });
    let mut body = Vec::new();
    let part = |body: &mut Vec<u8>, headers: &str, content: &[u8]| {
        body.extend_from_slice(format!("--{boundary}\r\n{headers}\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    };
    part(&mut body, "Content-Disposition: form-data; name=\"operations\"", operations.to_string().as_bytes());
    part(&mut body, "Content-Disposition: form-data; name=\"map\"", br#"{ "0": ["variables.file"] }"#);
    part(
        &mut body,
        &format!("Content-Disposition: form-data; name=\"0\"; filename=\"{filename}\"\r\nContent-Type: text/csv"),
        file,
    );
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .header("accept", "application/graphql-response+json")
        .body(body);
    if preflight {
        request = request.header("GraphQL-Require-Preflight", "1");
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    crate::helpers::Reply { status, content_type, body }
}

#[tokio::test]
async fn a_staff_list_uploaded_through_graphql_imports_as_from_the_command_line() {
    let app = spawn_app_with(AppOptions { population: 300, neighbourhoods: 1, ..AppOptions::default() }).await;
    let admin = app.token(DemoRole::Administrator).await;
    let example =
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/staff.csv")).unwrap();

    // A multipart request without the preflight header is refused before anything runs.
    let forged = upload(&app, &admin, &example, false, false).await;
    assert_eq!(forged.status, 400, "{}", forged.body);
    assert!(forged.body.to_string().contains("GraphQL-Require-Preflight"), "{}", forged.body);
    assert_eq!(staff_with_refs(&app).await, 0);

    // Over JSON there is no file: whatever stands for one is refused with its reason.
    for stand_in in ["staff.csv", "#__graphql_file__:0", "#__graphql_file__:abc", "#__graphql_file__:9"] {
        let reply = app.gql(&admin, UPLOAD, json!({ "file": stand_in, "dryRun": true })).await;
        let code = reply.error_code().to_owned();
        assert!(["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"].contains(&code.as_str()), "{stand_in}: {}", reply.body);
    }

    // The dry run reports every row and stores nothing.
    let dry = upload(&app, &admin, &example, true, true).await;
    let report = &dry.data()["importStaffList"];
    assert_eq!(
        (report["kind"].clone(), report["dryRun"].clone(), report["stored"].clone()),
        (json!("staff"), json!(true), json!(false))
    );
    assert_eq!(report["counts"]["created"], 5, "{}", dry.body);
    assert_eq!(report["counts"]["refused"], 0);
    assert_eq!(report["rows"][0]["line"], 2, "the header is line 1");
    assert_eq!(report["rows"][0]["outcome"], "CREATED");
    assert_eq!(staff_with_refs(&app).await, 0, "a dry run stores nothing");
    assert_eq!(imports_in_trail(&app).await, 0);

    // The real run stores the file, once; the same file again changes nothing.
    let real = upload(&app, &admin, &example, false, true).await;
    let report = &real.data()["importStaffList"];
    assert_eq!(report["stored"], true, "{}", real.body);
    let rows = report["rows"].as_array().unwrap().len() as u64;
    assert_eq!(staff_with_refs(&app).await, rows);
    assert_eq!(imports_in_trail(&app).await, 1);
    let again = upload(&app, &admin, &example, false, true).await;
    let report = &again.data()["importStaffList"];
    assert_eq!(
        report["counts"],
        json!({ "created": 0, "updated": 0, "unchanged": rows, "refused": 0 }),
        "{}",
        again.body
    );

    // A refused row names its line, column and value, and nothing of the file is stored.
    let bad = format!("{HEADER}\nZZP001,NEW-1,Ann,Lee,astronaut,1,,,yes\nZZP001,NEW-2,Bo,Lee,gp,1,,,yes\n");
    let refused = upload(&app, &admin, bad.as_bytes(), false, true).await;
    let report = &refused.data()["importStaffList"];
    assert_eq!(report["stored"], false);
    let row = &report["rows"][0];
    assert_eq!(
        (row["line"].clone(), row["outcome"].clone(), row["column"].clone(), row["value"].clone()),
        (json!(2), json!("REFUSED"), json!("role"), json!("astronaut")),
        "{}",
        refused.body
    );
    assert_eq!(staff_with_refs(&app).await, rows, "nothing of a refused file is stored");

    // Not a staff list at all: refused whole, by field. Not an administrator: refused.
    let not_a_list = upload(&app, &admin, b"name,colour\nAnn,red\n", true, true).await;
    assert_eq!(not_a_list.error_code(), "BAD_USER_INPUT");
    assert_eq!(not_a_list.body["errors"][0]["extensions"]["field"], "file", "{}", not_a_list.body);
    let coordinator = app.token(DemoRole::Coordinator).await;
    let refused = upload(&app, &coordinator, &example, false, true).await;
    assert_eq!(refused.error_code(), "FORBIDDEN", "{}", refused.body);
    assert_eq!(imports_in_trail(&app).await, 2, "the two real runs stored; the refused files left no trace");
}
