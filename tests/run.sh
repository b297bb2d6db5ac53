#!/usr/bin/env bash
# The test command. On a fresh machine it installs and starts everything the
# tests need, once, and shares it: the project's venv, the test cloud
# (tests/cloud/up.sh: Keystone, Nova with 3 compute hosts, Glance, Neutron,
# Cinder, Heat on MariaDB + RabbitMQ), a PostgreSQL server, the openstack_citest
# DB users, consistent-snap registered in Keystone, shellcheck and uwsgi's
# build tools for the devstack plugin's test. Then it runs pytest;
# arguments go to pytest (e.g. `bash tests/run.sh tests/unit -x`).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/cloud/lib.sh"
PG_PORT=${CS_PG_PORT:-5432}
PG_DIR=$MC_DIR/postgres
CITEST=openstack_citest
log() { cs_log "$@"; }

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

cs_install_venv
cs_install_chromium
cs_install_horizon
cs_install_devstack_tools
cs_cloud_up
start_postgres
mariadb_citest_user
export CS_TEST_MYSQL_URL="mysql+pymysql://$CITEST:$CITEST@127.0.0.1:${MC_DB_PORT:-3306}/"
export CS_TEST_POSTGRESQL_URL="postgresql+psycopg2://$CITEST:$CITEST@127.0.0.1:$PG_PORT/$CITEST"
export CS_TEST_CLOUD=1
cd "$CS_ROOT"
exec "$CS_VENV/bin/python" -m pytest "$@"
