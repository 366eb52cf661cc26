#!/usr/bin/env bash
# The published schema, checked as partners' tools see it:
# - graphql-schema-linter with the rules in package.json (names, Relay connections, deprecations);
# - graphql-inspector diff against docs/schema/released.graphql, the schema as last released:
#   a breaking change (a field removed, a type changed, an argument made required) fails here, so
#   partners hear of it before they hit it. After a release, copy schema.graphql there; a breaking
#   change meant to be made updates that file in the same commit, saying so.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
node_modules/.bin/graphql-schema-linter "$root/schema.graphql"
node_modules/.bin/graphql-inspector diff "$root/docs/schema/released.graphql" "$root/schema.graphql"
