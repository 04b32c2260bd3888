#!/usr/bin/env bash
# Runs PostgreSQL from the Debian package in the foreground, as an Aspire executable resource.
# Inputs (environment): OAUTH_DATA_DIR, OAUTH_PG_PORT, OAUTH_PG_PASSWORD.
# The cluster lives in $OAUTH_DATA_DIR/postgres; local socket connections use peer auth, TCP
# uses scram-sha-256 with the AppHost's generated password, re-applied at every start so a
# regenerated parameter never locks the system out of its own data.
set -euo pipefail
: "${OAUTH_DATA_DIR:?}" "${OAUTH_PG_PORT:?}" "${OAUTH_PG_PASSWORD:?}"

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/postgres" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }

data=$OAUTH_DATA_DIR/postgres
run=$OAUTH_DATA_DIR/postgres-run
mkdir -p "$data" "$run"

# PostgreSQL refuses to run as root: run it as the postgres user the Debian package creates.
as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$data" "$run"
  as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups)
fi
chmod 700 "$data"

if [ ! -s "$data/PG_VERSION" ]; then
  pwfile=$(mktemp "$run/pw.XXXXXX")
  printf '%s' "$OAUTH_PG_PASSWORD" > "$pwfile"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$pwfile"
  "${as_pg[@]}" "$bin/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 --pwfile="$pwfile" >/dev/null
  rm -f "$pwfile"
  echo "initialised a new cluster in $data"
fi

"${as_pg[@]}" "$bin/postgres" -D "$data" -p "$OAUTH_PG_PORT" -k "$run" \
  -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=256MB \
  -c logging_collector=off -c log_min_messages=warning &
pid=$!

# SIGTERM from the orchestrator becomes a fast shutdown (a smart one would wait for every
# pooled client connection to close).
trap 'kill -INT "$pid" 2>/dev/null' TERM INT

for _ in $(seq 1 150); do
  if "${as_pg[@]}" "$bin/pg_isready" -q -h "$run" -p "$OAUTH_PG_PORT"; then
    # \getenv keeps the password off every command line.
    printf '%s\n' '\getenv pw OAUTH_PG_PASSWORD' "ALTER ROLE postgres PASSWORD :'pw';" |
      "${as_pg[@]}" "$bin/psql" -q -X -v ON_ERROR_STOP=1 -h "$run" -p "$OAUTH_PG_PORT" -U postgres -d postgres >/dev/null
    echo "PostgreSQL ready on 127.0.0.1:$OAUTH_PG_PORT"
    break
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done

while kill -0 "$pid" 2>/dev/null; do
  wait "$pid" || true
done
