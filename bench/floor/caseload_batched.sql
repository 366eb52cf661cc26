-- A link worker's caseload with each person's referrals, batched.
\set n random(1, :count)
SELECT v1 AS w FROM bench_var WHERE scenario = 'caseload' AND n = :n \gset
SELECT id, caseload_capacity FROM practitioner WHERE id = :w;
SELECT count(*) FROM referral WHERE assigned_practitioner_id = :w AND status IN ('awaiting_contact', 'contacted', 'active');
SELECT id, patient_id, status, created_at FROM referral WHERE assigned_practitioner_id = :w AND status IN ('awaiting_contact', 'contacted', 'active') ORDER BY created_at, id LIMIT 101;
SELECT id, given_name, family_name FROM patient WHERE id IN (SELECT patient_id FROM referral WHERE assigned_practitioner_id = :w AND status IN ('awaiting_contact', 'contacted', 'active'));
SELECT id, patient_id, service, status, created_at FROM referral WHERE patient_id IN (SELECT patient_id FROM referral WHERE assigned_practitioner_id = :w AND status IN ('awaiting_contact', 'contacted', 'active')) ORDER BY created_at, id;
