-- A cohort page of one practice as one statement building the JSON answer.
\set n random(1, :count)
SELECT v1 AS practice FROM bench_var WHERE scenario = 'cohort_page' AND n = :n \gset
SELECT coalesce(json_agg(x.j ORDER BY x.family_name, x.given_name, x.id), '[]') FROM (
  SELECT p.id, p.family_name, p.given_name, json_build_object('id', p.id, 'nhsNumber', p.nhs_number, 'givenName', p.given_name, 'familyName', p.family_name,
    'dateOfBirth', p.date_of_birth, 'efiScore', p.efi_score,
    'practice', (SELECT json_build_object('name', o.name, 'odsCode', o.ods_code) FROM organisation o WHERE o.id = p.registered_practice_id),
    'conditions', (SELECT coalesce(json_agg(json_build_object('code', c.snomed_code) ORDER BY c.diagnosed_on, c.snomed_code), '[]') FROM patient_condition c WHERE c.patient_id = p.id)) AS j
  FROM patient p WHERE p.registered_practice_id = :practice AND p.efi_score > 0.24 AND (SELECT count(*) FROM patient_condition c WHERE c.patient_id = p.id) >= 2
  ORDER BY p.family_name, p.given_name, p.id LIMIT 50) x;
