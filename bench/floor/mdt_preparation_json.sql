-- The MDT preparation view's data as one statement building the JSON answer (the form an
-- auto-generated layer such as PostGraphile uses).
\set n random(1, :count)
SELECT v1 AS m FROM bench_var WHERE scenario = 'mdt_preparation' AND n = :n \gset
SELECT json_build_object('id', m.id, 'title', m.title, 'startsAt', m.starts_at, 'agenda', (
  SELECT coalesce(json_agg(json_build_object('position', i.position, 'reason', i.reason, 'minutesAllotted', i.minutes_allotted,
    'patient', (SELECT json_build_object('id', p.id, 'givenName', p.given_name, 'familyName', p.family_name, 'nhsNumber', p.nhs_number,
      'dateOfBirth', p.date_of_birth, 'efiScore', p.efi_score, 'cfs', p.clinical_frailty_scale,
      'conditions', (SELECT coalesce(json_agg(json_build_object('code', c.snomed_code) ORDER BY c.diagnosed_on, c.snomed_code), '[]') FROM patient_condition c WHERE c.patient_id = p.id),
      'referrals', (SELECT coalesce(json_agg(json_build_object('id', r.id, 'service', r.service, 'status', r.status, 'createdAt', r.created_at, 'firstContactAt', r.first_contact_at,
          'receivingOrganisation', (SELECT o.name FROM organisation o WHERE o.id = r.receiving_organisation_id)) ORDER BY r.created_at, r.id), '[]') FROM referral r WHERE r.patient_id = p.id),
      'carePlan', (SELECT json_build_object('whatMatters', cp.what_matters, 'reviewDate', cp.review_date,
          'goals', (SELECT coalesce(json_agg(json_build_object('text', g.text, 'status', g.status) ORDER BY g.position), '[]') FROM care_plan_goal g WHERE g.plan_id = cp.id))
        FROM care_plan cp WHERE cp.patient_id = p.id),
      'outcomeMeasurements', (SELECT coalesce(json_agg(json_build_object('instrument', om.instrument, 'takenOn', om.taken_on, 'metricScore', om.metric_score) ORDER BY om.taken_on, om.id), '[]') FROM outcome_measurement om WHERE om.patient_id = p.id),
      'assetConnections', (SELECT coalesce(json_agg(json_build_object('state', ac.state, 'asset', a.name) ORDER BY ac.created_at, ac.id), '[]') FROM asset_connection ac JOIN community_asset a ON a.id = ac.asset_id WHERE ac.patient_id = p.id),
      'mdtActions', (SELECT coalesce(json_agg(json_build_object('text', ma.text, 'dueDate', ma.due_date, 'status', ma.status,
          'owner', (SELECT pr.given_name || ' ' || pr.family_name FROM practitioner pr WHERE pr.id = ma.owner_practitioner_id)) ORDER BY ma.created_at, ma.id), '[]')
        FROM mdt_action ma WHERE ma.patient_id = p.id AND ma.status = 'open'))
      FROM patient p WHERE p.id = i.patient_id)) ORDER BY i.position, i.id), '[]')
  FROM mdt_agenda_item i WHERE i.meeting_id = m.id AND i.open_key IS NOT NULL))
FROM mdt_meeting m WHERE m.id = :m;
