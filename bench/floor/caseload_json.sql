-- A link worker's caseload as one statement building the JSON answer.
\set n random(1, :count)
SELECT v1 AS w FROM bench_var WHERE scenario = 'caseload' AND n = :n \gset
SELECT json_build_object('capacity', pr.caseload_capacity,
  'activeCount', (SELECT count(*) FROM referral r WHERE r.assigned_practitioner_id = pr.id AND r.status IN ('awaiting_contact', 'contacted', 'active')),
  'referrals', (SELECT coalesce(json_agg(json_build_object('id', r.id, 'status', r.status, 'createdAt', r.created_at,
      'patient', (SELECT json_build_object('id', p.id, 'givenName', p.given_name, 'familyName', p.family_name,
          'referrals', (SELECT coalesce(json_agg(json_build_object('id', r2.id, 'service', r2.service, 'status', r2.status, 'createdAt', r2.created_at) ORDER BY r2.created_at, r2.id), '[]') FROM referral r2 WHERE r2.patient_id = p.id))
        FROM patient p WHERE p.id = r.patient_id)) ORDER BY r.created_at, r.id), '[]')
    FROM (SELECT * FROM referral WHERE assigned_practitioner_id = pr.id AND status IN ('awaiting_contact', 'contacted', 'active') ORDER BY created_at, id LIMIT 100) r))
FROM practitioner pr WHERE pr.id = :w;
