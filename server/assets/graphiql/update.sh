#!/usr/bin/env bash
# Refreshes the GraphiQL assets the server embeds (so GraphiQL works on networks that cannot reach
# a CDN) from the npm registry, at the versions pinned here. Run it, check the page in a browser
# (.ci/conformance/graphiql.mjs does), and commit the files with VERSIONS.
set -euo pipefail
cd "$(dirname "$0")"
GRAPHIQL=3.8.3
REACT=18.3.1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error \
  "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" "graphql@16.9.0")
m="$work/node_modules"
cp "$m/graphiql/graphiql.min.js" "$m/graphiql/graphiql.min.css" .
cp "$m/react/umd/react.production.min.js" "$m/react-dom/umd/react-dom.production.min.js" .
{
  echo "graphiql $GRAPHIQL (MIT, GraphQL Contributors)"
  echo "react $REACT (MIT, Meta Platforms, Inc. and affiliates)"
  echo "react-dom $REACT (MIT, Meta Platforms, Inc. and affiliates)"
} > VERSIONS
cat "$m/graphiql/LICENSE" > LICENSES
printf '\n---- react, react-dom ----\n' >> LICENSES
cat "$m/react/LICENSE" >> LICENSES
