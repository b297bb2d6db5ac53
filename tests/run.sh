#!/usr/bin/env bash
# The test command. On a fresh machine it installs and starts everything the
# tests need, once, and shares it: the project's venv, the test cloud
# (tests/cloud/up.sh: Keystone, Nova with 3 compute hosts, Glance, Neutron,
# Cinder, Heat on MariaDB + RabbitMQ), a PostgreSQL server, the openstack_citest
# DB users, and consistent-snap registered in Keystone. Then it runs pytest;
# arguments go to pytest (e.g. `bash tests/run.sh tests/unit -x`).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export MC_DIR=${MC_DIR:-/tmp/minicloud}
VENV=${CS_VENV:-$ROOT/.venv}
PG_PORT=${CS_PG_PORT:-5432}
PG_DIR=$MC_DIR/postgres
CITEST=openstack_citest
log() { echo "[$(date +%T)] $*"; }

install_venv() {
  local stamp
  stamp=$(cat "$ROOT/requirements.txt" "$ROOT/test-requirements.txt" \
    "$ROOT/tests/cloud/constraints.txt" "$ROOT/setup.cfg" | sha256sum | cut -c1-16)
  if [[ $(cat "$VENV/.cs-stamp" 2>/dev/null) != "$stamp" ]]; then
    log "installing consistent-snap and its test requirements into $VENV"
    [[ -x $VENV/bin/pip ]] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -U pip setuptools wheel
    "$VENV/bin/pip" install -q -c "$ROOT/tests/cloud/constraints.txt" \
      -r "$ROOT/requirements.txt" -r "$ROOT/test-requirements.txt"
    "$VENV/bin/pip" install -q --no-deps -e "$ROOT"
    echo "$stamp" >"$VENV/.cs-stamp"
  fi
}

start_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -z $bin || ! -x $bin/postgres ]]; then
    log "apt-get: installing postgresql"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >/dev/null
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  mkdir -p "$PG_DIR/run"
  chown -R postgres: "$PG_DIR"
  if [[ ! -f $PG_DIR/data/PG_VERSION ]]; then
    su postgres -s /bin/sh -c "$bin/initdb -D $PG_DIR/data -A trust -U postgres" >/dev/null
  fi
  if ! su postgres -s /bin/sh -c "$bin/pg_ctl -D $PG_DIR/data status" >/dev/null 2>&1; then
    su postgres -s /bin/sh -c "$bin/pg_ctl -D $PG_DIR/data -l $PG_DIR/postgres.log -w \
      -o '-p $PG_PORT -k $PG_DIR/run -c listen_addresses=127.0.0.1' start" >/dev/null
  fi
  local psql=("$bin/psql" -h "$PG_DIR/run" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -q)
  if [[ -z $("${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname='$CITEST'") ]]; then
    "${psql[@]}" -c "CREATE ROLE $CITEST LOGIN CREATEDB PASSWORD '$CITEST'"
    "${psql[@]}" -c "CREATE DATABASE $CITEST OWNER $CITEST"
  fi
}

mariadb_citest_user() {
  mysql --protocol=socket -S "$MC_DIR/run/mysqld.sock" -uroot -e "
    CREATE USER IF NOT EXISTS '$CITEST'@'127.0.0.1' IDENTIFIED BY '$CITEST';
    GRANT ALL PRIVILEGES ON *.* TO '$CITEST'@'127.0.0.1';"
}

install_venv
WITH_CINDER=1 WITH_HEAT=1 bash "$ROOT/tests/cloud/up.sh"
start_postgres
mariadb_citest_user
"$VENV/bin/python" "$ROOT/tests/cloud/plugin.py" up
eval "$("$VENV/bin/python" "$ROOT/tests/cloud/plugin.py" env)"
export CS_TEST_MYSQL_URL="mysql+pymysql://$CITEST:$CITEST@127.0.0.1:${MC_DB_PORT:-3306}/"
export CS_TEST_POSTGRESQL_URL="postgresql+psycopg2://$CITEST:$CITEST@127.0.0.1:$PG_PORT/$CITEST"
export CS_TEST_CLOUD=1
cd "$ROOT"
exec "$VENV/bin/python" -m pytest "$@"
