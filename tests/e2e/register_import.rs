//! A practice's register imported from the command line (`neighbourhood import register`) and as an
//! upload (`importRegister`), on the test's own database: the dry run stores nothing, a real run
//! stores the whole file or nothing, the same file again changes nothing, a changed file updates
//! exactly what changed, every refusal names its line, column and value, and only the practice's
//! own staff import it (the clinical columns only its clinicians).

use entity::{patient, patient_condition};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use server::cli::DemoRole;

use crate::helpers::{spawn_app_with, AppOptions, TestApp};
use crate::imports::{run_import, stdout, upload_to, write_csv};

const HEADER: &str = "nhs_number,given_name,family_name,date_of_birth,sex,postcode,deprivation_decile,lives_alone,\
is_carer,hearing_impairment,visual_impairment,interpreter_language,conditions,efi_score,efi_calculated_on";

/// `count` valid NHS numbers from the test range that no one in the database has.
async fn fresh_numbers(app: &TestApp, count: usize) -> Vec<String> {
    let mut numbers = Vec::new();
    let mut stem = 999_999_999;
    while numbers.len() < count {
        stem -= 1;
        let Some(number) = domain::nhs_number::NhsNumber::from_stem(stem) else { continue };
        let digits = number.as_digits();
        if patient::Entity::find().filter(patient::Column::NhsNumber.eq(digits.clone())).count(&app.db).await.unwrap()
            == 0
        {
            numbers.push(digits);
        }
    }
    numbers
}

fn write(header: &str, rows: &[String]) -> std::path::PathBuf {
    write_csv("register", header, rows)
}

async fn person(app: &TestApp, number: &str) -> Option<patient::Model> {
    patient::Entity::find().filter(patient::Column::NhsNumber.eq(number)).one(&app.db).await.unwrap()
}

async fn conditions_of(app: &TestApp, id: uuid::Uuid) -> Vec<patient_condition::Model> {
    patient_condition::Entity::find().filter(patient_condition::Column::PatientId.eq(id)).all(&app.db).await.unwrap()
}

async fn register_imports_in_trail(app: &TestApp) -> u64 {
    entity::administration_event::Entity::find()
        .filter(entity::administration_event::Column::Action.eq("import.register"))
        .count(&app.db)
        .await
        .unwrap()
}

fn small() -> AppOptions {
    AppOptions { population: 300, neighbourhoods: 1, ..AppOptions::default() }
}

#[tokio::test]
async fn a_register_is_imported_whole_or_not_at_all_and_again_changes_nothing() {
    let app = spawn_app_with(small()).await;
    let gp = app.practitioner(DemoRole::Gp).await;
    let subject = gp.identity_subject.clone().unwrap();
    let today = chrono::Utc::now().date_naive();
    let efi_on = today - chrono::Days::new(30);
    let [a, b, c]: [String; 3] = fresh_numbers(&app, 3).await.try_into().unwrap();
    let rows = vec![
        format!("{a},Margaret,Hollins,1942-03-14,female,ng14 6ab,6,yes,no,yes,no,,38341003;atrial_fibrillation,0.25,{efi_on}"),
        format!("{b},Stanley,Oyelaran,1938-11-30,M,NG4 2FQ,3,no,no,no,no,Yoruba,,,"),
        format!("{},Irene,Walsh,24/07/1951,F,NG5 8LB,,yes,no,no,yes,,,,", c.replace("", " ").trim()),
    ];
    let file = write(HEADER, &rows);

    // The dry run reports every row and stores nothing.
    let dry = run_import(&app, "register", &file, &subject, true);
    let report = stdout(&dry);
    assert!(dry.status.success(), "{report}{}", String::from_utf8_lossy(&dry.stderr));
    assert!(report.contains(&format!("line 2 ({a}, Margaret Hollins): would create")), "{report}");
    assert_eq!(report.matches("would create").count(), 3, "{report}");
    assert!(
        report.ends_with("3 rows: 3 create, 0 update, 0 unchanged, 0 refused; dry run: nothing stored\n"),
        "{report}"
    );
    assert!(person(&app, &a).await.is_none(), "a dry run stores nothing");
    assert_eq!(register_imports_in_trail(&app).await, 0);

    // The real run registers everyone at the importer's practice, with what the file says.
    let real = run_import(&app, "register", &file, &subject, false);
    let report = stdout(&real);
    assert!(real.status.success(), "{report}{}", String::from_utf8_lossy(&real.stderr));
    assert!(report.ends_with("3 rows: 3 create, 0 update, 0 unchanged, 0 refused; stored\n"), "{report}");
    let margaret = person(&app, &a).await.expect("registered");
    assert_eq!(margaret.registered_practice_id, gp.organisation_id);
    assert_eq!((margaret.postcode.as_str(), margaret.deprivation_decile), ("NG14 6AB", Some(6)));
    assert!(margaret.lives_alone && margaret.hearing_impairment && !margaret.visual_impairment);
    assert_eq!(
        (margaret.efi_score, margaret.efi_calculated_on, margaret.efi_recorded_by),
        (Some(0.25), Some(efi_on), Some(gp.id))
    );
    let mut codes: Vec<(String, Option<uuid::Uuid>)> =
        conditions_of(&app, margaret.id).await.into_iter().map(|c| (c.snomed_code, c.recorded_by)).collect();
    codes.sort();
    assert_eq!(codes, vec![("38341003".to_owned(), Some(gp.id)), ("49436004".to_owned(), Some(gp.id))]);
    let stanley = person(&app, &b).await.unwrap();
    assert_eq!((stanley.sex, stanley.interpreter_language.as_deref()), (entity::Sex::Male, Some("Yoruba")));
    let irene = person(&app, &c).await.expect("the NHS number's spaces are not part of it");
    assert_eq!(irene.date_of_birth, chrono::NaiveDate::from_ymd_opt(1951, 7, 24).unwrap());
    assert_eq!(irene.neighbourhood_id, margaret.neighbourhood_id);
    assert_eq!(register_imports_in_trail(&app).await, 1);
    // The practice reads them as anyone it registered.
    let token = app.token_for_practitioner(&gp);
    let found = app
        .gql(
            &token,
            "query($s: String) { patients(filter: { search: $s }) { totalCount nodes { conditions { code } } } }",
            json!({ "s": a }),
        )
        .await;
    assert_eq!(found.data()["patients"]["totalCount"], 1, "{}", found.body);

    // The same file again changes nothing.
    let again = run_import(&app, "register", &file, &subject, false);
    let report = stdout(&again);
    assert!(report.ends_with("3 rows: 0 create, 0 update, 3 unchanged, 0 refused; stored\n"), "{report}");
    assert_eq!(person(&app, &a).await.unwrap(), margaret, "not even the time of the last change");

    // A changed file updates what changed; a column it leaves out (the impairments) is left as stored.
    let header = "nhs_number,given_name,family_name,date_of_birth,sex,postcode,conditions";
    let changed = write(
        header,
        &[
            format!("{a},Margaret,Hollins,1942-03-14,female,NG14 6AB,38341003"),
            format!("{b},Stanley,Oyelaran,1938-11-30,male,NG4 2FX,copd"),
        ],
    );
    let update = run_import(&app, "register", &changed, &subject, false);
    let report = stdout(&update);
    assert!(update.status.success(), "{report}");
    assert!(report.contains(&format!("({a}, Margaret Hollins): unchanged")), "conditions are never removed: {report}");
    assert!(report.contains(&format!("({b}, Stanley Oyelaran): update postcode, conditions")), "{report}");
    let stanley_after = person(&app, &b).await.unwrap();
    assert_eq!(stanley_after.postcode, "NG4 2FX");
    assert_eq!(stanley_after.interpreter_language.as_deref(), Some("Yoruba"), "a column left out is left as stored");
    assert_eq!(conditions_of(&app, margaret.id).await.len(), 2);
    assert_eq!(conditions_of(&app, stanley.id).await.len(), 1);

    // One refused row stores nothing of the file, and every refusal names its line, column and value.
    let other_practice = patient::Entity::find()
        .filter(patient::Column::RegisteredPracticeId.ne(gp.organisation_id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let [d]: [String; 1] = fresh_numbers(&app, 1).await.try_into().unwrap();
    let wrong_digit = format!("{}{}", &d[..9], (d[9..].parse::<u8>().unwrap() + 1) % 10);
    let bad = write(
        header,
        &[
            format!("{a},Maggie,Hollins,1942-03-14,female,NG14 6AB,"),
            format!("{wrong_digit},Ann,Lee,1950-01-01,female,NG5 1AA,"),
            format!("{d},Bo,Lee,2999-01-01,male,NG5 1AA,"),
            format!("{d},Bo,Lee,1950-01-01,male,NG5 1AA,"),
            format!("{d},Bo,Lee,1950-01-01,male,NG5 1AA,"),
            format!("{},Cy,Lee,1950-01-01,male,NG5 1AA,", other_practice.nhs_number),
            format!("{c},Irene,Walsh,1951-07-24,female,NOT A POSTCODE,"),
            format!("{b},Stanley,Oyelaran,1938-11-30,male,NG4 2FX,hiccups"),
            format!("{b},Stanley,Oyelaran,1938-11-30,robot,NG4 2FX,"),
        ],
    );
    let refused = run_import(&app, "register", &bad, &subject, false);
    let report = stdout(&refused);
    assert!(!refused.status.success(), "{report}");
    for expected in [
        format!("line 2 ({a}, Maggie Hollins): update given_name"),
        format!("line 3 ({wrong_digit}, Ann Lee): REFUSED column nhs_number value \"{wrong_digit}\""),
        format!("line 4 ({d}, Bo Lee): REFUSED column date_of_birth value \"2999-01-01\""),
        format!("line 5 ({d}, Bo Lee): create"),
        format!("line 6 ({d}, Bo Lee): REFUSED column nhs_number value \"{d}\": an earlier row of the file has this NHS number"),
        format!("line 7 ({}, Cy Lee): REFUSED column nhs_number", other_practice.nhs_number),
        format!("line 8 ({c}, Irene Walsh): REFUSED column postcode value \"NOT A POSTCODE\""),
        format!("line 9 ({b}, Stanley Oyelaran): REFUSED column conditions value \"hiccups\""),
        format!("line 10 ({b}, Stanley Oyelaran): REFUSED column sex value \"robot\""),
    ] {
        assert!(report.contains(&expected), "{expected}\n{report}");
    }
    assert!(report.contains("registered at another practice"), "{report}");
    assert!(report.contains("nothing stored: the file is stored whole or not at all"), "{report}");
    assert_eq!(person(&app, &a).await.unwrap().given_name, "Margaret", "nothing of the file was stored");
    assert!(person(&app, &d).await.is_none());
    assert_eq!(register_imports_in_trail(&app).await, 3, "the refused run is not in the trail");
    for path in [file, changed, bad] {
        let _ = std::fs::remove_file(path);
    }
}

#[tokio::test]
async fn only_the_practices_own_staff_import_its_register_and_only_clinicians_its_clinical_columns() {
    let app = spawn_app_with(small()).await;
    let [a]: [String; 1] = fresh_numbers(&app, 1).await.try_into().unwrap();
    let with_conditions = write(HEADER, &[format!("{a},Ann,Lee,1950-01-01,female,NG5 1AA,,,,,,,38341003,,")]);
    let administrative = write(
        "nhs_number,given_name,family_name,date_of_birth,sex,postcode",
        &[format!("{a},Ann,Lee,1950-01-01,female,NG5 1AA")],
    );
    let subject = |role| {
        let app = &app;
        async move { app.practitioner(role).await.identity_subject.unwrap() }
    };

    // Whoever is not on a practice's staff is refused before any row.
    for role in [DemoRole::Coordinator, DemoRole::Administrator, DemoRole::SocialCare, DemoRole::Vcse] {
        let output = run_import(&app, "register", &administrative, &subject(role).await, true);
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("staff of their GP practice"), "{role:?}: {stderr}");
        assert!(stdout(&output).is_empty(), "{role:?}: no row is read");
    }

    // The receptionist registers people, but not their conditions.
    let receptionist = app.practitioner(DemoRole::Receptionist).await;
    let refused =
        run_import(&app, "register", &with_conditions, receptionist.identity_subject.as_deref().unwrap(), false);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && stderr.contains("clinical columns"), "{stderr}");
    assert!(person(&app, &a).await.is_none());
    let accepted =
        run_import(&app, "register", &administrative, receptionist.identity_subject.as_deref().unwrap(), false);
    assert!(accepted.status.success(), "{}", stdout(&accepted));
    assert_eq!(person(&app, &a).await.unwrap().registered_practice_id, receptionist.organisation_id);

    // A file that is not a register is refused whole, naming what it lacks.
    let wrong = write("nhs_number,name", &[format!("{a},Ann Lee")]);
    let output = run_import(&app, "register", &wrong, &subject(DemoRole::Gp).await, true);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("given_name") && stderr.contains("date_of_birth"), "{stderr}");
    for path in [with_conditions, administrative, wrong] {
        let _ = std::fs::remove_file(path);
    }
}

#[tokio::test]
async fn the_documented_example_register_imports_into_the_demo() {
    let app = spawn_app_with(small()).await;
    let subject = app.practitioner(DemoRole::Gp).await.identity_subject.unwrap();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/register.csv");
    let output = run_import(&app, "register", &example, &subject, false);
    let report = stdout(&output);
    assert!(output.status.success(), "{report}{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(report.matches(": create").count(), 5, "{report}");
    let again = run_import(&app, "register", &example, &subject, true);
    assert_eq!(stdout(&again).matches(": unchanged").count(), 5);
}

const UPLOAD: &str = r#"mutation Upload($file: Upload!, $dryRun: Boolean!) { importRegister(file: $file, dryRun: $dryRun) {
    kind dryRun stored counts { created updated unchanged refused } rows { line key about outcome fields column value reason } } }"#;

#[tokio::test]
async fn a_register_uploaded_through_graphql_imports_as_from_the_command_line() {
    let app = spawn_app_with(small()).await;
    let gp = app.token(DemoRole::Gp).await;
    let [a, b]: [String; 2] = fresh_numbers(&app, 2).await.try_into().unwrap();
    let file = format!(
        "nhs_number,given_name,family_name,date_of_birth,sex,postcode,conditions\n\
         {a},Ann,Lee,1950-01-01,female,NG5 1AA,heart_failure\n{b},Bo,Lee,1948-02-02,male,NG5 1AB,\n"
    );
    let dry = upload_to(&app, &gp, UPLOAD, "register.csv", file.as_bytes(), true, true).await;
    let report = &dry.data()["importRegister"];
    assert_eq!((report["kind"].clone(), report["stored"].clone()), (json!("register"), json!(false)), "{}", dry.body);
    assert_eq!(report["counts"], json!({ "created": 2, "updated": 0, "unchanged": 0, "refused": 0 }));
    assert_eq!((report["rows"][0]["line"].clone(), report["rows"][0]["key"].clone()), (json!(2), json!(a)));
    assert!(person(&app, &a).await.is_none());

    let real = upload_to(&app, &gp, UPLOAD, "register.csv", file.as_bytes(), false, true).await;
    assert_eq!(real.data()["importRegister"]["stored"], true, "{}", real.body);
    assert_eq!(conditions_of(&app, person(&app, &a).await.unwrap().id).await.len(), 1);
    let again = upload_to(&app, &gp, UPLOAD, "register.csv", file.as_bytes(), false, true).await;
    assert_eq!(again.data()["importRegister"]["counts"]["unchanged"], 2, "{}", again.body);

    // Another organisation's staff cannot, through GraphQL either.
    let vcse = app.token(DemoRole::Vcse).await;
    let refused = upload_to(&app, &vcse, UPLOAD, "register.csv", file.as_bytes(), true, true).await;
    assert_eq!(refused.error_code(), "FORBIDDEN", "{}", refused.body);
}
