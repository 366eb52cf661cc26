-- A provider's inbox as one statement building the JSON answer.
\set n random(1, :count)
SELECT v1 AS org, v3 AS statuses FROM bench_var WHERE scenario = 'referral_inbox' AND n = :n \gset
SELECT coalesce(json_agg(json_build_object('id', r.id, 'status', r.status, 'createdAt', r.created_at, 'urgency', r.urgency,
    'patient', (SELECT json_build_object('id', p.id, 'givenName', p.given_name, 'familyName', p.family_name, 'nhsNumber', p.nhs_number) FROM patient p WHERE p.id = r.patient_id),
    'assigned', (SELECT pr.given_name || ' ' || pr.family_name FROM practitioner pr WHERE pr.id = r.assigned_practitioner_id)) ORDER BY r.created_at DESC, r.id DESC), '[]')
FROM (SELECT * FROM referral WHERE (referring_organisation_id = :org OR receiving_organisation_id = :org) AND status = ANY (:statuses::text[]) ORDER BY created_at DESC, id DESC LIMIT 100) r;
