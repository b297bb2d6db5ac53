#!/bin/bash
# devstack plugin for consistent-snap: cs-api (uwsgi), cs-coordinator, and
# cs-agent on every compute host (multinode: enable cs-agent on subnodes).

function install_consistent_snap {
    setup_develop $CS_DIR
}

function configure_consistent_snap {
    sudo install -d -o $STACK_USER $CS_CONF_DIR
    iniset $CS_CONF DEFAULT debug $ENABLE_DEBUG_LOG_LEVEL
    iniset $CS_CONF DEFAULT state_path $DATA_DIR/consistent-snap
    iniset_rpc_backend consistent-snap $CS_CONF
    iniset $CS_CONF database connection $(database_connection_url consistent_snap)
    iniset $CS_CONF api auth_strategy keystone
    configure_keystone_authtoken_middleware $CS_CONF consistent-snap
    # The service reads hosts of every project's servers: admin role.
    iniset $CS_CONF service_credentials auth_type password
    iniset $CS_CONF service_credentials auth_url $KEYSTONE_SERVICE_URI
    iniset $CS_CONF service_credentials username consistent-snap
    iniset $CS_CONF service_credentials password $SERVICE_PASSWORD
    iniset $CS_CONF service_credentials project_name $SERVICE_PROJECT_NAME
    iniset $CS_CONF service_credentials user_domain_name $SERVICE_DOMAIN_NAME
    iniset $CS_CONF service_credentials project_domain_name $SERVICE_DOMAIN_NAME
    iniset $CS_CONF service_credentials region_name $REGION_NAME
    write_uwsgi_config "$CS_UWSGI_CONF" "consistent_snap.wsgi.api:application" "" "$SERVICE_LISTEN_ADDRESS:$CS_SERVICE_PORT" "consistent-snap-api"
}

function create_consistent_snap_accounts {
    create_service_user consistent-snap admin
    get_or_create_service consistent-snap $CS_SERVICE_TYPE "Consistent group snapshots of applications"
    get_or_create_endpoint $CS_SERVICE_TYPE "$REGION_NAME" "$CS_API_URL"
}

function init_consistent_snap {
    recreate_database consistent_snap
    $CS_BIN_DIR/consistent-snap-manage --config-file $CS_CONF db sync
    create_consistent_snap_accounts
}

function start_consistent_snap {
    if is_service_enabled cs-api; then
        run_process cs-api "$(which uwsgi) --procname-prefix consistent-snap --ini $CS_UWSGI_CONF" "" "" "CONSISTENT_SNAP_CONFIG_FILES=$CS_CONF"
        wait_for_service $SERVICE_TIMEOUT $CS_API_URL || die $LINENO "cs-api did not start"
    fi
    run_process cs-coordinator "$CS_BIN_DIR/consistent-snap-coordinator --config-file $CS_CONF"
    # [DEFAULT] host defaults to the hostname, which is also Nova's name for it.
    run_process cs-agent "$CS_BIN_DIR/consistent-snap-agent --config-file $CS_CONF"
}

function stop_consistent_snap {
    local service
    for service in cs-api cs-coordinator cs-agent; do
        stop_process $service
    done
    remove_uwsgi_config "$CS_UWSGI_CONF" "consistent-snap-api"
}

function cleanup_consistent_snap {
    sudo rm -rf $CS_CONF_DIR $DATA_DIR/consistent-snap
}

CS_BIN_DIR=$(get_python_exec_prefix)

if is_service_enabled cs-api cs-coordinator cs-agent; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing consistent-snap"
        install_consistent_snap
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring consistent-snap"
        configure_consistent_snap
        init_consistent_snap
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Starting consistent-snap"
        start_consistent_snap
    fi
    if [[ "$1" == "unstack" ]]; then
        stop_consistent_snap
    fi
    if [[ "$1" == "clean" ]]; then
        cleanup_consistent_snap
    fi
fi
