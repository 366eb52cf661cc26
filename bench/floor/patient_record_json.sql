-- One patient record as one statement building the JSON answer.
\set n random(1, :count)
SELECT v1 AS p FROM bench_var WHERE scenario = 'patient_record' AND n = :n \gset
SELECT json_build_object('id', p.id, 'nhsNumber', p.nhs_number, 'givenName', p.given_name, 'familyName', p.family_name,
  'dateOfBirth', p.date_of_birth, 'sex', p.sex, 'postcode', p.postcode, 'efiScore', p.efi_score,
  'practice', (SELECT json_build_object('name', o.name, 'odsCode', o.ods_code) FROM organisation o WHERE o.id = p.registered_practice_id),
  'conditions', (SELECT coalesce(json_agg(json_build_object('code', c.snomed_code, 'diagnosedOn', c.diagnosed_on) ORDER BY c.diagnosed_on, c.snomed_code), '[]') FROM patient_condition c WHERE c.patient_id = p.id))
FROM patient p WHERE p.id = :p;
