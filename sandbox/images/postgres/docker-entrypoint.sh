#!/bin/bash
# First-start initialisation with the official `postgres` image's contract and auth result (docker-library/postgres,
# docker-entrypoint.sh for 15/bookworm), written for the sandbox:
# - env: POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_USER (default postgres),
#   POSTGRES_DB (default: the user), POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD (default: the server's
#   password_encryption, scram-sha-256 on 15); scripts in /docker-entrypoint-initdb.d (*.sh, *.sql) run once.
# - initdb runs WITHOUT --auth/--auth-local/--auth-host (unless POSTGRES_INITDB_ARGS adds them), so initdb's own
#   default applies: `trust` for the local socket AND for host 127.0.0.1/32 and ::1/128. Then one line
#   `host all all all <POSTGRES_HOST_AUTH_METHOD>` is appended. Result: inside the db container any login over
#   loopback succeeds with any password; only connections from another container (the Compose network) prove one.
# - listen_addresses='*' in postgresql.conf; the temporary init server listens on no TCP address.
set -Eeuo pipefail
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
POSTGRES_USER="${POSTGRES_USER:-postgres}"
POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
: "${POSTGRES_INITDB_ARGS:=}"
: "${POSTGRES_HOST_AUTH_METHOD:=}"

if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi
if [ "${1:-}" != postgres ]; then
  exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
  chmod 3777 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

as_psql() { psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc "$@"; }

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    cat >&2 <<'MSG'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".
MSG
    exit 1
  fi
  echo "[postgres-entrypoint] initdb in $PGDATA (user $POSTGRES_USER, db $POSTGRES_DB)"
  # initdb's default auth (trust for local and loopback), exactly as the official image leaves it.
  eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "${POSTGRES_PASSWORD:-}") '"$POSTGRES_INITDB_ARGS" >/dev/null
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  method="${POSTGRES_HOST_AUTH_METHOD:-$(postgres -C password_encryption)}"
  printf '\nhost all all all %s\n' "$method" >> "$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start >/dev/null
  if [ "$POSTGRES_DB" != postgres ]; then
    as_psql --dbname postgres --set db="$POSTGRES_DB" -q <<'SQL'
CREATE DATABASE :"db";
SQL
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) echo "[postgres-entrypoint] running $f"; . "$f" ;;
      *.sql) echo "[postgres-entrypoint] running $f"; as_psql --dbname "$POSTGRES_DB" -q -f "$f" ;;
      *) [ -e "$f" ] && echo "[postgres-entrypoint] ignoring $f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "[postgres-entrypoint] init done; ready for start up"
fi

exec "$@"
