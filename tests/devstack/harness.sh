#!/usr/bin/env bash
# Runs devstack/plugin.sh for real on the test cloud, as devstack would.
#
#   tests/devstack/harness.sh prepare   stack.sh's system setup only (the venv
#                                       with uwsgi, the client, PyMySQL; the
#                                       database user): safe beside the test
#                                       cloud's own consistent-snap
#   tests/devstack/harness.sh stack     prepare, then every node: pre-install, install,
#                                       post-config, extra, test-config
#   tests/devstack/harness.sh unstack   every node: unstack
#   tests/devstack/harness.sh clean     every node: unstack, clean; then what
#                                       clean.sh does: databases, data, logs
#
# devstack itself cannot run here (systemd, git hosts), so this file defines
# the devstack functions plugin.sh calls, with real actions: a venv for
# setup_develop, real INI edits, the test cloud's RabbitMQ and MariaDB (a
# database of its own, consistent_snap_devstack), Keystone through the
# `openstack` CLI, a uwsgi ini, and processes started as devstack did without
# systemd (setsid, a log and a pid file each). A multinode devstack runs
# stack.sh once per node: so does this, one node per compute host of the test
# cloud (CS_HARNESS_NODES: the controller runs cs-api, cs-coordinator and
# cs-agent, each subnode only cs-agent), each with its own conf, data, logs.
#
# It uses the Keystone service, user and endpoint (port 8790) and the broker
# topics of the test cloud's own consistent-snap: stop that first
# (tests/cloud/plugin.py down) and start it again afterwards (up).
set -o errexit
set -o pipefail
# Timestamps on plugin.sh's xtrace, to see where a slow stack spends its time.
PS4='+ ${EPOCHREALTIME} '

CS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HARNESS_LIB=$CS_ROOT/tests/devstack
MC_DIR=${MC_DIR:-/tmp/minicloud}
CS_HARNESS_DIR=${CS_HARNESS_DIR:-$MC_DIR/devstack-harness}
# NODE=NOVA_HOST ...; the first node is the controller.
CS_HARNESS_NODES=${CS_HARNESS_NODES:-controller=compute-1 subnode-2=compute-2 subnode-3=compute-3}

# What stackrc and local.conf set, pointed at the test cloud.
# shellcheck disable=SC2034  # plugin.sh and devstack/settings read these.
{
    CS_DIR=$CS_ROOT
    CS_DB_NAME=consistent_snap_devstack
    STACK_USER=$(whoami)
    GLOBAL_VENV=True
    DEVSTACK_VENV=${CS_HARNESS_VENV:-$CS_HARNESS_DIR/venv}
    SERVICE_HOST=127.0.0.1
    SERVICE_PROTOCOL=http
    SERVICE_LISTEN_ADDRESS=127.0.0.1
    SERVICE_TIMEOUT=60
    SERVICE_PASSWORD=${MC_PASSWORD:-minicloud}
    SERVICE_PROJECT_NAME=service
    SERVICE_DOMAIN_NAME=Default
    REGION_NAME=RegionOne
    KEYSTONE_SERVICE_URI=http://127.0.0.1:${MC_KEYSTONE_PORT:-5000}
    ENABLE_DEBUG_LOG_LEVEL=True
    API_WORKERS=2
    WORKER_TIMEOUT=90
    RABBIT_USERID=os
    RABBIT_PASSWORD=$SERVICE_PASSWORD
    RABBIT_HOST=127.0.0.1
    DATABASE_TYPE=mysql
    DATABASE_HOST=127.0.0.1
    MYSQL_HOST=$DATABASE_HOST
    MYSQL_PORT=${MC_DB_PORT:-3306}
    DATABASE_USER=cs_devstack
    DATABASE_PASSWORD=$SERVICE_PASSWORD
    BASE_SQL_CONN=mysql+pymysql://$DATABASE_USER:$DATABASE_PASSWORD@$DATABASE_HOST:$MYSQL_PORT
    # The test cloud runs no memcached: keystonemiddleware caches in-process.
    MEMCACHE_SERVERS=
    SSL_BUNDLE_FILE=
    # Stand-ins: only the directories plugin.sh writes to.
    HORIZON_DIR=$CS_HARNESS_DIR/horizon
    TEMPEST_CONFIG=$CS_HARNESS_DIR/tempest/etc/tempest.conf
}
export PATH=$DEVSTACK_VENV/bin:$PATH
export OS_CLIENT_CONFIG_FILE=$CS_HARNESS_DIR/clouds.yaml
MYSQL_ROOT=(mysql --protocol=socket -S "$MC_DIR/run/mysqld.sock" -uroot)

# --- devstack's functions, as plugin.sh uses them -------------------------

function echo_summary { echo ">>> [$NODE] $*"; }
function warn { echo "WARNING line $1: ${*:2}" >&2; }
function die { echo "ERROR line $1: ${*:2}" >&2; exit 1; }
function deprecated { echo "DEPRECATED: $*" >&2; }
function time_start { :; }
function time_stop { :; }
function define_plugin { :; }
function plugin_requires { :; }
if ! command -v sudo >/dev/null; then
    function sudo { "$@"; }  # Root already, as the test machine runs.
fi

function is_service_enabled {
    local service
    for service in "$@"; do
        [[ ,$ENABLED_SERVICES, == *,$service,* ]] && return 0
    done
    return 1
}

function enable_service {
    local service
    for service in "$@"; do
        if [[ ,$DISABLED_SERVICES, == *,$service,* ]]; then
            warn $LINENO "Attempt to enable_service $service when it has been disabled"
            continue
        fi
        is_service_enabled "$service" || ENABLED_SERVICES+=,$service
    done
    ENABLED_SERVICES=${ENABLED_SERVICES#,}
}

function disable_service {
    local service
    for service in "$@"; do
        DISABLED_SERVICES+=,$service
        ENABLED_SERVICES=$(tr , '\n' <<<"$ENABLED_SERVICES" | grep -vx -- "$service" | paste -sd, || true)
    done
}

function disable_all_services { ENABLED_SERVICES=; }

function get_python_exec_prefix { echo "$DEVSTACK_VENV/bin"; }

function pip_install {
    "$DEVSTACK_VENV/bin/pip" install -q -c "$CS_ROOT/tests/cloud/constraints.txt" "$@"
}

function setup_develop {
    pip_install -e "$(cd "$1" && pwd)${2:+[$2]}"
}

function iniset {
    [[ $1 == -sudo ]] && shift
    python3 "$HARNESS_LIB/inifile.py" set "$@"
}

function iniget { python3 "$HARNESS_LIB/inifile.py" get "$@"; }

function get_transport_url { echo "rabbit://$RABBIT_USERID:$RABBIT_PASSWORD@$RABBIT_HOST:5672/$1"; }

function iniset_rpc_backend {
    iniset "$2" "${3:-DEFAULT}" transport_url "$(get_transport_url "$4")"
}

function database_connection_url { echo "$BASE_SQL_CONN/$1?charset=utf8"; }

function recreate_database {
    mysql -u"$DATABASE_USER" -p"$DATABASE_PASSWORD" -h"$MYSQL_HOST" -P"$MYSQL_PORT" \
        -e "DROP DATABASE IF EXISTS $1; CREATE DATABASE $1 CHARACTER SET utf8;"
    grep -qx "$1" "$CS_HARNESS_DIR/databases" 2>/dev/null || echo "$1" >>"$CS_HARNESS_DIR/databases"
}

function configure_keystoneauth {
    local conf=$1 user=$2 section=$3
    iniset "$conf" "$section" auth_type password
    iniset "$conf" "$section" interface public
    iniset "$conf" "$section" auth_url "$KEYSTONE_SERVICE_URI"
    iniset "$conf" "$section" username "$user"
    iniset "$conf" "$section" password "$SERVICE_PASSWORD"
    iniset "$conf" "$section" user_domain_name "$SERVICE_DOMAIN_NAME"
    iniset "$conf" "$section" project_name "$SERVICE_PROJECT_NAME"
    iniset "$conf" "$section" project_domain_name "$SERVICE_DOMAIN_NAME"
}

function configure_keystone_authtoken_middleware {
    local conf=$1 user=$2 section=${3:-keystone_authtoken} service_type=$4
    configure_keystoneauth "$conf" "$user" "$section"
    iniset "$conf" "$section" www_authenticate_uri "$KEYSTONE_SERVICE_URI"
    iniset "$conf" "$section" cafile "$SSL_BUNDLE_FILE"
    iniset "$conf" "$section" memcached_servers "$MEMCACHE_SERVERS"
    if [[ -n $service_type ]]; then
        iniset "$conf" "$section" service_type "$service_type"
    fi
}

function _admin_cli { openstack --os-cloud devstack-system-admin "$@"; }

function get_or_create_user {
    _admin_cli user create "$1" --password "$2" --domain "$3" --or-show -f value -c id
}

function get_or_add_user_project_role {
    _admin_cli role add "$1" --user "$2" --project "$3" \
        --user-domain "${4:-Default}" --project-domain "${5:-Default}"
    _admin_cli role assignment list --role "$1" --user "$2" --project "$3" \
        --user-domain "${4:-Default}" --project-domain "${5:-Default}" -c Role -f value
}

function create_service_user {
    get_or_create_user "$1" "$SERVICE_PASSWORD" "$SERVICE_DOMAIN_NAME"
    get_or_add_user_project_role service "$1" "$SERVICE_PROJECT_NAME" \
        "$SERVICE_DOMAIN_NAME" "$SERVICE_DOMAIN_NAME"
    if [[ -n $2 ]]; then
        get_or_add_user_project_role "$2" "$1" "$SERVICE_PROJECT_NAME" \
            "$SERVICE_DOMAIN_NAME" "$SERVICE_DOMAIN_NAME"
    fi
}

function get_or_create_service {
    _admin_cli service show "$2" -f value -c id 2>/dev/null ||
        _admin_cli service create "$2" --name "$1" --description="$3" -f value -c id
}

function _get_or_create_endpoint_with_interface {
    local endpoint_id
    endpoint_id=$(_admin_cli endpoint list --service "$1" --interface "$2" --region "$4" -c ID -f value)
    if [[ -z $endpoint_id ]]; then
        endpoint_id=$(_admin_cli endpoint create "$1" "$2" "$3" --region "$4" -f value -c id)
    fi
    echo "$endpoint_id"
}

function get_or_create_endpoint {
    _get_or_create_endpoint_with_interface "$1" public "$3" "$2"
    if [[ -n $4 ]]; then _get_or_create_endpoint_with_interface "$1" admin "$4" "$2"; fi
    if [[ -n $5 ]]; then _get_or_create_endpoint_with_interface "$1" internal "$5" "$2"; fi
}

# devstack's options, without its Apache proxy: plugin.sh asks for http.
function write_uwsgi_config {
    local conf=$1 wsgi=$2 http=$4
    [[ -n $http ]] || die $LINENO "the harness has no Apache: give write_uwsgi_config an http address"
    [[ $wsgi =~ ^[a-zA-Z0-9_.]+:[a-zA-Z0-9_]+$ ]] || die $LINENO "not a module path: $wsgi"
    rm -rf "$conf"
    iniset "$conf" uwsgi module "$wsgi"
    iniset "$conf" uwsgi processes "$API_WORKERS"
    iniset "$conf" uwsgi master true
    iniset "$conf" uwsgi die-on-term true
    iniset "$conf" uwsgi exit-on-reload false
    iniset "$conf" uwsgi worker-reload-mercy "$WORKER_TIMEOUT"
    iniset "$conf" uwsgi enable-threads true
    # devstack's distro uwsgi loads plugins http,python3; pip's has them built in.
    iniset "$conf" uwsgi thunder-lock true
    iniset "$conf" uwsgi hook-master-start "unix_signal:15 gracefully_kill_them_all"
    iniset "$conf" uwsgi buffer-size 65535
    iniset "$conf" uwsgi add-header "Connection: close"
    iniset "$conf" uwsgi lazy-apps true
    iniset "$conf" uwsgi start-time %t
    iniset "$conf" uwsgi http "$http"
}

function remove_uwsgi_config { rm -rf "$1"; }

# devstack without systemd (USE_SYSTEMD=False): a session per service, its
# output in $LOGDIR/<service>.log, its pid in $SERVICE_DIR/<service>.pid.
function run_process {
    local service=$1 command=$2 env_vars=$5
    is_service_enabled "$service" || return 0
    mkdir -p "$LOGDIR" "$SERVICE_DIR"
    # shellcheck disable=SC2086  # word lists, as devstack passes them
    setsid env $env_vars $command >"$LOGDIR/$service.log" 2>&1 </dev/null &
    echo $! >"$SERVICE_DIR/$service.pid"
}

function stop_process {
    local service=$1 pid_file=$SERVICE_DIR/$1.pid pid tries
    [[ -f $pid_file ]] || return 0
    pid=$(cat "$pid_file")
    kill -TERM -- "-$pid" 2>/dev/null || true
    for tries in $(seq 150); do
        kill -0 -- "-$pid" 2>/dev/null || break
        sleep 0.1
    done
    [[ $tries -lt 150 ]] || kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$pid_file"
}

function wait_for_service {
    local timeout=$1 url=$2
    timeout "$timeout" bash -c "
        while [[ \$(curl -g -k --noproxy '*' -s -o /dev/null -w '%{http_code}' '$url') == 503 || \$? -eq 7 ]]; do
            sleep 1
        done"
}

# --- what stack.sh and clean.sh do around the plugins ---------------------

# stack.sh's system setup: the global venv with uwsgi, the client, PyMySQL;
# the database user; Keystone credentials as devstack writes them.
function harness_prepare_system {
    mkdir -p "$CS_HARNESS_DIR" "$HORIZON_DIR/openstack_dashboard/local/enabled"
    if [[ ! -x $DEVSTACK_VENV/bin/uwsgi ]]; then
        echo ">>> creating $DEVSTACK_VENV"
        python3 -m venv "$DEVSTACK_VENV"
        "$DEVSTACK_VENV/bin/pip" install -q -U pip setuptools wheel
        # install_apache_uwsgi, install_openstackclient, install_database_python
        pip_install uwsgi python-openstackclient PyMySQL
    fi
    cat >"$OS_CLIENT_CONFIG_FILE" <<EOF
clouds:
  devstack-system-admin:
    auth:
      auth_url: $KEYSTONE_SERVICE_URI/v3
      username: admin
      password: $SERVICE_PASSWORD
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: $REGION_NAME
    identity_api_version: 3
EOF
    "${MYSQL_ROOT[@]}" -e "
        CREATE USER IF NOT EXISTS '$DATABASE_USER'@'$DATABASE_HOST' IDENTIFIED BY '$DATABASE_PASSWORD';
        GRANT ALL PRIVILEGES ON \`$CS_DB_NAME\`.* TO '$DATABASE_USER'@'$DATABASE_HOST';"
}

function harness_cleanup_system {
    local db
    while read -r db; do
        "${MYSQL_ROOT[@]}" -e "DROP DATABASE IF EXISTS \`$db\`"
    done < <(cat "$CS_HARNESS_DIR/databases" 2>/dev/null)
    "${MYSQL_ROOT[@]}" -e "DROP USER IF EXISTS '$DATABASE_USER'@'$DATABASE_HOST'"
    rm -rf "$CS_HARNESS_DIR/databases" "$CS_HARNESS_DIR/nodes" "$HORIZON_DIR" \
        "${TEMPEST_CONFIG%/etc/*}" "$OS_CLIENT_CONFIG_FILE"
}

# local.conf's localrc of a node, the way devstack's Zuul role writes it:
# disable_all_services, then enable_service or disable_service per service.
function harness_localrc {
    disable_all_services
    if [[ $NODE == "$CONTROLLER" ]]; then
        enable_service cs-api cs-coordinator cs-agent heat horizon tempest
    else
        enable_service cs-agent
        disable_service cs-api cs-coordinator
    fi
}

# Runs devstack/plugin.sh on one node, for each "mode phase" given.
function harness_node {
    local node=$1 nova_host=$2
    shift 2
    (
        NODE=$node
        NODE_DIR=$CS_HARNESS_DIR/nodes/$node
        DEST=$NODE_DIR/opt/stack
        DATA_DIR=$DEST/data
        LOGDIR=$DEST/logs
        SERVICE_DIR=$DEST/status
        CS_CONF_DIR=$NODE_DIR/etc/consistent_snap
        # The nova.conf of the test cloud's nova-compute for that host.
        NOVA_CONF=$MC_DIR/etc/nova/$nova_host.conf
        ENABLED_SERVICES=
        DISABLED_SERVICES=
        harness_localrc
        # shellcheck source=devstack/settings
        source "$CS_ROOT/devstack/settings"
        local step
        for step in "$@"; do
            # shellcheck disable=SC2086  # "mode phase" is two words
            set -- $step
            # shellcheck source=devstack/plugin.sh
            source "$CS_ROOT/devstack/plugin.sh" "$@"
        done
    )
}

function harness_each_node {
    local entry
    for entry in $CS_HARNESS_NODES; do
        harness_node "${entry%%=*}" "${entry#*=}" "$@"
    done
}

CONTROLLER=${CS_HARNESS_NODES%%=*}
case ${1:-} in
    prepare)
        harness_prepare_system
        ;;
    stack)
        harness_prepare_system
        harness_each_node "stack pre-install" "stack install" "stack post-config" \
            "stack extra" "stack test-config"
        ;;
    unstack)
        harness_each_node unstack
        ;;
    clean)
        harness_each_node unstack clean
        harness_cleanup_system
        ;;
    *)
        echo "usage: $0 prepare|stack|unstack|clean" >&2
        exit 2
        ;;
esac
