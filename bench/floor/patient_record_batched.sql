-- One patient record, the way our loaders fetch it.
\set n random(1, :count)
SELECT v1 AS p FROM bench_var WHERE scenario = 'patient_record' AND n = :n \gset
SELECT id, nhs_number, given_name, family_name, date_of_birth, sex, postcode, registered_practice_id, efi_score FROM patient WHERE id = :p;
SELECT id, name, ods_code FROM organisation WHERE id = (SELECT registered_practice_id FROM patient WHERE id = :p);
SELECT snomed_code, diagnosed_on FROM patient_condition WHERE patient_id = :p ORDER BY diagnosed_on, snomed_code;
