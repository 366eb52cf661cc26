-- A cohort page of one practice (50 people, moderate or severe frailty, 2+ conditions), batched.
\set n random(1, :count)
SELECT v1 AS practice FROM bench_var WHERE scenario = 'cohort_page' AND n = :n \gset
SELECT id, nhs_number, given_name, family_name, date_of_birth, registered_practice_id, efi_score FROM patient p WHERE registered_practice_id = :practice AND efi_score > 0.24 AND (SELECT count(*) FROM patient_condition c WHERE c.patient_id = p.id) >= 2 ORDER BY family_name, given_name, id LIMIT 51;
SELECT id, name, ods_code FROM organisation WHERE id = :practice;
SELECT patient_id, snomed_code FROM patient_condition WHERE patient_id IN (SELECT id FROM patient p WHERE registered_practice_id = :practice AND efi_score > 0.24 AND (SELECT count(*) FROM patient_condition c WHERE c.patient_id = p.id) >= 2 ORDER BY family_name, given_name, id LIMIT 50) ORDER BY diagnosed_on, snomed_code;
