#!/usr/bin/env bash
# A RabbitMQ node of the benchmarks' own, beside the test cloud's broker:
# bench_scale.py's simulated hosts open two connections each, more than the
# shared broker should carry. Its own node name, ports and data directory.
#
#   bash benchmarks/broker.sh start   # rabbit://guest:guest@127.0.0.1:5682/
#   bash benchmarks/broker.sh stop
set -euo pipefail
BASE=${BENCH_BROKER_DIR:-/tmp/cs-bench-broker}
PORT=${BENCH_BROKER_PORT:-5682}
NODE=cs-bench@localhost
SBIN=/usr/lib/rabbitmq/bin

export RABBITMQ_NODENAME=$NODE RABBITMQ_DIST_PORT=${BENCH_BROKER_DIST_PORT:-25692} \
  RABBITMQ_CONFIG_FILE=$BASE/rabbitmq.conf \
  RABBITMQ_ENABLED_PLUGINS_FILE=$BASE/enabled_plugins \
  RABBITMQ_MNESIA_BASE=$BASE/mnesia RABBITMQ_LOG_BASE=$BASE/log \
  RABBITMQ_PID_FILE=$BASE/pid ERL_EPMD_ADDRESS=127.0.0.1 \
  RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'

case ${1:-start} in
  start)
    if [[ ! -x $SBIN/rabbitmq-server ]]; then
      echo "RabbitMQ is not installed: run bash tests/cloud/up.sh first" >&2
      exit 1
    fi
    if "$SBIN/rabbitmqctl" -n "$NODE" status >/dev/null 2>&1; then
      echo "running: rabbit://guest:guest@127.0.0.1:$PORT/"
      exit 0
    fi
    mkdir -p "$BASE"
    # guest may connect over loopback only, which is all we use.
    printf 'listeners.tcp.1 = 127.0.0.1:%s\nlog.console = false\n' "$PORT" \
      >"$BASE/rabbitmq.conf"
    echo '[].' >"$BASE/enabled_plugins"
    # Run as root: Debian's /usr/sbin wrappers would switch to rabbitmq.
    "$SBIN/rabbitmq-server" -detached
    "$SBIN/rabbitmqctl" -n "$NODE" wait "$BASE/pid" --timeout 60 >/dev/null
    echo "started: rabbit://guest:guest@127.0.0.1:$PORT/"
    ;;
  stop)
    "$SBIN/rabbitmqctl" -n "$NODE" stop "$BASE/pid" >/dev/null 2>&1 || true
    echo stopped
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
