# A throwaway PostgreSQL server for the tests, from the machine's packages. Source it, then `pg_start`:
# it exports STACKCTL_TEST_PG_URL and stops the server (and removes its directory) on exit.
# initdb refuses root, so as root the server runs as the unprivileged user `nobody`.

pg_bindir() {
  local initdb
  initdb="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$initdb" ] && command -v apt-get >/dev/null; then
    echo "ci: installing postgresql" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    initdb="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)"
  fi
  [ -n "$initdb" ] || { echo "ci: no PostgreSQL found" >&2; return 1; }
  dirname "$initdb"
}

pg_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

pg_start() {
  local bin port
  bin="$(pg_bindir)"
  PG_TMP="$(mktemp -d)"
  chmod 755 "$PG_TMP"
  mkdir "$PG_TMP/data" "$PG_TMP/run"
  [ "$(id -u)" -eq 0 ] && chown nobody "$PG_TMP/data" "$PG_TMP/run"
  port="$(pg_free_port)"
  (cd "$PG_TMP" && pg_as_owner "$bin/initdb" -D "$PG_TMP/data" -U postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$PG_TMP/initdb.log" 2>&1) || { cat "$PG_TMP/initdb.log" >&2; return 1; }
  trap pg_stop EXIT
  # Durability off: this server holds test data only.
  (cd "$PG_TMP" && pg_as_owner "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/run/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$PG_TMP/run \
        -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >&2) \
    || { cat "$PG_TMP/run/server.log" >&2; return 1; }
  PG_BIN="$bin"
  export STACKCTL_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  echo "ci: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') at $STACKCTL_TEST_PG_URL" >&2
}

pg_stop() {
  if [ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP/data" ]; then
    (cd "$PG_TMP" && pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m fast -w stop >/dev/null 2>&1) || true
    rm -rf "$PG_TMP"
  fi
}
