-- What PostGraphile needs in the Neighbourhood database for the equivalent benchmark queries.
-- Idempotent: run it after `neighbourhood migrate` (and seeding) as often as you like.
--
-- One computed column and one smart comment, nothing else (no views, no indexes, no data).
--
-- patient_condition_count(patient): PostGraphile exposes a STABLE function whose first argument is
-- a table row as a field of that table's type (`Patient.conditionCount`), and
-- postgraphile-plugin-connection-filter lets a `patients` filter compare it
-- (`conditionCount: { greaterThanOrEqualTo: 2 }`; `@filterable` opts it in explicitly). Relation
-- filters can say "has some / every / no condition" but not "at least two", so without it the
-- cohort page's "2 or more long-term conditions" cannot be expressed. The body is the correlated
-- count our server writes inline (`(select count(*) from patient_condition where patient_id =
-- patient.id) >= 2`). PostgreSQL does not inline a SQL function whose body has a FROM clause, so
-- it runs as a function call per candidate row (after the cheaper efi_score / practice conditions,
-- which use indexes); that is the honest cost of doing this in PostGraphile. It returns integer
-- because count() is bigint, which PostGraphile exposes as the BigInt scalar (a string). It counts
-- the conditions the benchmark's caller reads: the INT coordinator does not read the catalogue's
-- sensitive categories (domain/data/sensitive-conditions.csv: 35489007 depression, 58214004
-- schizophrenia), and our server leaves them out of its count for them.

create or replace function public.patient_condition_count(p public.patient)
  returns integer
  language sql
  stable
  parallel safe
as $$
  select count(*)::integer from public.patient_condition pc
  where pc.patient_id = p.id and pc.snomed_code not in ('35489007', '58214004')
$$;

comment on function public.patient_condition_count(public.patient) is
  E'@filterable\nNumber of coded long-term conditions on the record, the sensitive categories left out.';

-- PostGraphile v5 (Amber preset) offers orderBy/filter only on columns that lead or take part in
-- an index, so that clients cannot ask for unindexed sorts. Our server lists a person's conditions
-- by diagnosis date then SNOMED CT code; patient_condition.diagnosed_on is in no index, so the
-- smart tag below opts that one column in to ordering (the per-patient list is a handful of rows:
-- an index would not help). It changes nothing in the database but the column's comment.
comment on column public.patient_condition.diagnosed_on is E'@behavior +orderBy\nWhen the condition was diagnosed.';
