#!/usr/bin/env bash
# Runs a command against a fresh demo server (`serve --demo`, embedded SQLite in a temporary
# directory) built at target/debug/neighbourhood. The command sees DEMO_URL (the server's base
# URL) and DEMO_TOKEN (a coordinator's bearer token); the server is stopped afterwards.
#   .ci/conformance/with-demo.sh node .ci/conformance/audit.mjs
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
binary="${NEIGHBOURHOOD_BINARY:-$root/target/debug/neighbourhood}"
port="${DEMO_PORT:-18181}"
dir="$(mktemp -d)"
db="sqlite://$dir/demo.db?mode=rwc"
secret="$dir/dev-secret"
DATABASE_URL="$db" NEIGHBOURHOOD_DEV_SECRET_FILE="$secret" \
  "$binary" serve --demo --addr "127.0.0.1:$port" >"$dir/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
ready=""
for _ in $(seq 1 120); do
  if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/readyz', timeout=1)" 2>/dev/null; then
    ready=yes; break
  fi
  kill -0 "$server" 2>/dev/null || break
  sleep 0.5
done
if [ -z "$ready" ]; then
  echo "the demo server did not become ready; its log:" >&2
  cat "$dir/server.log" >&2
  exit 1
fi
DEMO_TOKEN="$(DATABASE_URL="$db" NEIGHBOURHOOD_DEV_SECRET_FILE="$secret" "$binary" token --role coordinator)"
export DEMO_URL="http://127.0.0.1:$port" DEMO_TOKEN
"$@"
