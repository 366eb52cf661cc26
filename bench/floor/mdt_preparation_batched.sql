-- The MDT preparation view's data, fetched the way our loaders batch it: one statement per
-- relationship for the whole agenda (pgbench -M prepared; :m is bound as a parameter).
\set n random(1, :count)
SELECT v1 AS m FROM bench_var WHERE scenario = 'mdt_preparation' AND n = :n \gset
SELECT id, title, starts_at FROM mdt_meeting WHERE id = :m;
SELECT id, patient_id, position, reason, minutes_allotted FROM mdt_agenda_item WHERE meeting_id = :m AND open_key IS NOT NULL ORDER BY position, id;
SELECT id, given_name, family_name, nhs_number, date_of_birth, efi_score, clinical_frailty_scale FROM patient WHERE id IN (SELECT patient_id FROM mdt_agenda_item WHERE meeting_id = :m AND open_key IS NOT NULL);
SELECT patient_id, snomed_code FROM patient_condition WHERE patient_id IN (SELECT patient_id FROM mdt_agenda_item WHERE meeting_id = :m AND open_key IS NOT NULL) ORDER BY diagnosed_on, snomed_code;
SELECT id, patient_id, service, status, created_at, first_contact_at, receiving_organisation_id FROM referral WHERE patient_id IN (SELECT patient_id FROM mdt_agenda_item WHERE meeting_id = :m AND open_key IS NOT NULL) ORDER BY created_at, id;
SELECT id, patient_id, what_matters, review_date FROM care_plan WHERE patient_id IN (SELECT patient_id FROM mdt_agenda_item WHERE meeting_id = :m AND open_key IS NOT NULL);
SELECT patient_id, instrument, taken_on, metric_score FROM outcome_measurement WHERE patient_id IN (SELECT patient_id FROM mdt_agenda_item WHERE meeting_id = :m AND open_key IS NOT NULL) ORDER BY taken_on, id;
SELECT patient_id, state, asset_id FROM asset_connection WHERE patient_id IN (SELECT patient_id FROM mdt_agenda_item WHERE meeting_id = :m AND open_key IS NOT NULL) ORDER BY created_at, id;
SELECT patient_id, text, due_date, status, owner_practitioner_id FROM mdt_action WHERE patient_id IN (SELECT patient_id FROM mdt_agenda_item WHERE meeting_id = :m AND open_key IS NOT NULL) ORDER BY created_at, id;
SELECT plan_id, text, status FROM care_plan_goal WHERE plan_id IN (SELECT id FROM care_plan WHERE patient_id IN (SELECT patient_id FROM mdt_agenda_item WHERE meeting_id = :m AND open_key IS NOT NULL)) ORDER BY position;
SELECT id, name FROM community_asset WHERE id IN (SELECT asset_id FROM asset_connection WHERE patient_id IN (SELECT patient_id FROM mdt_agenda_item WHERE meeting_id = :m AND open_key IS NOT NULL));
SELECT id, name FROM organisation WHERE id IN (SELECT receiving_organisation_id FROM referral WHERE patient_id IN (SELECT patient_id FROM mdt_agenda_item WHERE meeting_id = :m AND open_key IS NOT NULL));
SELECT id, given_name, family_name FROM practitioner WHERE id IN (SELECT owner_practitioner_id FROM mdt_action WHERE patient_id IN (SELECT patient_id FROM mdt_agenda_item WHERE meeting_id = :m AND open_key IS NOT NULL));
