#!/usr/bin/env bash
# Schema-driven fuzzing of the GraphQL API with schemathesis (PyPI), against a fresh demo server:
# every query and mutation of the schema, with generated arguments (valid and invalid, the
# custom scalars by the strategies of fuzz_hooks.py), as the demo coordinator. Fails if any answer
# is INTERNAL or uncoded, any status is a 5xx (but a 503 with Retry-After), or any answer does not
# match the schema's types and nullability.
#   .ci/conformance/fuzz.sh [extra schemathesis options]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
if [ ! -x "$venv/bin/st" ] || ! cmp -s "$here/requirements.txt" "$venv/requirements.txt"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$venv/requirements.txt"
fi
# The per-caller brakes would answer RATE_LIMITED to most of a fuzz run; they have their own tests.
export NEIGHBOURHOOD_RATE_LIMIT_REQUESTS_PER_MINUTE=1000000
export NEIGHBOURHOOD_RATE_LIMIT_RECORDS_PER_MINUTE=10000000
export SCHEMATHESIS_HOOKS=fuzz_hooks PYTHONPATH="$here"
export DEMO_PORT="${DEMO_PORT:-18182}"
"$here/with-demo.sh" bash -c '"$0/bin/st" run "$DEMO_URL/graphql" \
  --header "Authorization: Bearer $DEMO_TOKEN" \
  --checks no_internal_error,response_schema_conformance \
  --mode all --phases fuzzing --workers 2 --no-color "${@}"' "$venv" "$@"
