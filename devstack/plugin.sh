#!/bin/bash
# devstack plugin for consistent-snap: cs-api (uwsgi), cs-coordinator, and
# cs-agent on every compute host (multinode: only cs-agent on subnodes).
# devstack sources it as `plugin.sh <mode> [phase]`; devstack/settings first.

_XTRACE_CONSISTENT_SNAP=$(set +o | grep xtrace)
set -o xtrace

CS_BIN_DIR=$(get_python_exec_prefix)
CS_HORIZON_ENABLED_DIR=$CS_DIR/consistent_snap/dashboard/enabled

function install_consistent_snap {
    setup_develop "$CS_DIR"
}

# The panels, when the dashboard ships them; Horizon collects them later.
function install_consistent_snap_dashboard {
    local enabled_file
    for enabled_file in "$CS_HORIZON_ENABLED_DIR"/_9*.py; do
        [[ -f $enabled_file ]] || continue
        cp "$enabled_file" "$HORIZON_DIR/openstack_dashboard/local/enabled/"
    done
}

# Nova's name for this compute host, which the coordinator sends to.
function consistent_snap_agent_host {
    local host=$CS_AGENT_HOST
    if [[ -z $host ]]; then
        host=$(iniget "$NOVA_CONF" DEFAULT host)
    fi
    echo "${host:-$(hostname)}"
}

function configure_consistent_snap {
    sudo install -d -o "$STACK_USER" "$CS_CONF_DIR" "$CS_STATE_PATH"
    rm -f "$CS_CONF"
    iniset "$CS_CONF" DEFAULT debug "$ENABLE_DEBUG_LOG_LEVEL"
    iniset "$CS_CONF" DEFAULT state_path "$CS_STATE_PATH"
    iniset_rpc_backend consistent-snap "$CS_CONF"
    iniset "$CS_CONF" oslo_messaging_notifications driver messagingv2
    iniset "$CS_CONF" database connection "$(database_connection_url "$CS_DB_NAME")"

    iniset "$CS_CONF" api auth_strategy keystone
    iniset "$CS_CONF" api bind_host "$SERVICE_LISTEN_ADDRESS"
    iniset "$CS_CONF" api bind_port "$CS_SERVICE_PORT"
    configure_keystone_authtoken_middleware "$CS_CONF" "$CS_SERVICE_USER"
    # Reads every project's servers with their compute hosts: admin role.
    configure_keystoneauth "$CS_CONF" "$CS_SERVICE_USER" service_credentials
    iniset "$CS_CONF" service_credentials region_name "$REGION_NAME"

    iniset "$CS_CONF" coordinator capture_timeout "$CS_CAPTURE_TIMEOUT"
    if [[ -n $CS_COORDINATION_URL ]]; then
        iniset "$CS_CONF" coordination backend_url "$CS_COORDINATION_URL"
    fi
    if is_service_enabled cs-agent; then
        iniset "$CS_CONF" DEFAULT host "$(consistent_snap_agent_host)"
        iniset "$CS_CONF" agent quiescer "$CS_AGENT_QUIESCER"
        iniset "$CS_CONF" agent capturers "$CS_AGENT_CAPTURERS"
        iniset "$CS_CONF" agent max_freeze_ms "$CS_AGENT_MAX_FREEZE_MS"
    fi
    if is_service_enabled cs-api; then
        write_uwsgi_config "$CS_UWSGI_CONF" "consistent_snap.wsgi.api:application" \
            "" "$SERVICE_LISTEN_ADDRESS:$CS_SERVICE_PORT" "consistent-snap-api"
    fi
}

function create_consistent_snap_accounts {
    create_service_user "$CS_SERVICE_USER" admin
    get_or_create_service consistent-snap "$CS_SERVICE_TYPE" \
        "Consistent group snapshots of applications"
    get_or_create_endpoint "$CS_SERVICE_TYPE" "$REGION_NAME" "$CS_API_URL"
}

function init_consistent_snap {
    recreate_database "$CS_DB_NAME"
    "$CS_BIN_DIR/consistent-snap-manage" --config-file "$CS_CONF" db sync
}

function start_consistent_snap {
    if is_service_enabled cs-api; then
        run_process cs-api "$(which uwsgi) --procname-prefix consistent-snap --ini $CS_UWSGI_CONF" \
            "" "" "CONSISTENT_SNAP_CONFIG_FILES=$CS_CONF"
        wait_for_service "$SERVICE_TIMEOUT" "$CS_API_URL" || die $LINENO "cs-api did not start"
    fi
    run_process cs-coordinator "$CS_BIN_DIR/consistent-snap-coordinator --config-file $CS_CONF"
    run_process cs-agent "$CS_BIN_DIR/consistent-snap-agent --config-file $CS_CONF"
}

function configure_consistent_snap_tempest {
    iniset "$TEMPEST_CONFIG" service_available consistent_snap True
    iniset "$TEMPEST_CONFIG" consistent_snap catalog_type "$CS_SERVICE_TYPE"
    iniset "$TEMPEST_CONFIG" consistent_snap heat_stacks "$(is_service_enabled heat && echo True || echo False)"
}

function stop_consistent_snap {
    local service
    for service in cs-api cs-coordinator cs-agent; do
        stop_process $service
    done
}

function cleanup_consistent_snap {
    local enabled_file
    if [[ -n $HORIZON_DIR ]]; then
        for enabled_file in "$CS_HORIZON_ENABLED_DIR"/_9*.py; do
            rm -f "$HORIZON_DIR/openstack_dashboard/local/enabled/${enabled_file##*/}"
        done
    fi
    remove_uwsgi_config "$CS_UWSGI_CONF" "consistent-snap-api"
    sudo rm -rf "$CS_CONF_DIR" "$CS_STATE_PATH"
}

if is_service_enabled cs-api cs-coordinator cs-agent; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing consistent-snap"
        install_consistent_snap
        if is_service_enabled horizon; then
            install_consistent_snap_dashboard
        fi
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring consistent-snap"
        configure_consistent_snap
        # Once per cloud, on the node that serves the API.
        if is_service_enabled cs-api; then
            init_consistent_snap
            create_consistent_snap_accounts
        fi
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Starting consistent-snap"
        start_consistent_snap
    elif [[ "$1" == "stack" && "$2" == "test-config" ]]; then
        if is_service_enabled tempest; then
            configure_consistent_snap_tempest
        fi
    fi
    if [[ "$1" == "unstack" ]]; then
        stop_consistent_snap
    fi
    if [[ "$1" == "clean" ]]; then
        cleanup_consistent_snap
    fi
fi

$_XTRACE_CONSISTENT_SNAP
