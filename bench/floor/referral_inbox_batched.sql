-- A provider's inbox: its 100 newest referrals in some states, with patient and assigned worker, batched.
\set n random(1, :count)
SELECT v1 AS org, v3 AS statuses FROM bench_var WHERE scenario = 'referral_inbox' AND n = :n \gset
SELECT id, patient_id, status, created_at, urgency, assigned_practitioner_id FROM referral WHERE (referring_organisation_id = :org OR receiving_organisation_id = :org) AND status = ANY (:statuses::text[]) ORDER BY created_at DESC, id DESC LIMIT 101;
SELECT id, given_name, family_name, nhs_number FROM patient WHERE id IN (SELECT patient_id FROM (SELECT patient_id FROM referral WHERE (referring_organisation_id = :org OR receiving_organisation_id = :org) AND status = ANY (:statuses::text[]) ORDER BY created_at DESC, id DESC LIMIT 100) x);
SELECT id, given_name, family_name FROM practitioner WHERE id IN (SELECT assigned_practitioner_id FROM (SELECT assigned_practitioner_id FROM referral WHERE (referring_organisation_id = :org OR receiving_organisation_id = :org) AND status = ANY (:statuses::text[]) ORDER BY created_at DESC, id DESC LIMIT 100) x);
