#!/usr/bin/env bash
# Horizon from PyPI with consistent-snap's panels, against the test cloud.
#
#   bash tests/cloud/horizon.sh install      the venv ($CS_HORIZON_VENV, default
#                                            $CS_ROOT/.venv-horizon), once
#   bash tests/cloud/horizon.sh serve [PORT] install if needed, then serve
#                                            http://127.0.0.1:PORT/ (default
#                                            8080) in the foreground
#   bash tests/cloud/horizon.sh browser      Debian's chromium + chromedriver
#
# Log in as demo / minicloud (or admin / minicloud). tests/functional/
# test_dashboard.py runs `serve` itself on a free port.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hz_serve() {
  local port=${1:-8080}
  cs_install_horizon
  cs_horizon_settings
  cs_log "Horizon on http://127.0.0.1:$port/ (Keystone $CS_KEYSTONE_URL)"
  # runserver: one process, so the locmem session cache is shared by its
  # threads; --insecure serves the collected static files with DEBUG off.
  exec "$CS_HORIZON_VENV/bin/django-admin" runserver --insecure --noreload \
    --settings openstack_dashboard.settings "127.0.0.1:$port"
}

case ${1:-} in
  install) cs_install_horizon ;;
  serve) hz_serve "${2:-8080}" ;;
  browser) cs_install_chromium ;;
  *) echo "usage: $0 install | serve [PORT] | browser" >&2; exit 2 ;;
esac
