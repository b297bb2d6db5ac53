#!/usr/bin/env bash
# Quickstart on a fresh machine: installs consistent-snap and a real small
# OpenStack (tests/cloud), starts consistent-snap on its embedded defaults
# (SQLite, local processes), then, as the tenant "demo", deploys a 3-server
# Heat app spread over 3 compute hosts, protects it as an app group, and
# takes one consistent group snapshot of it (barrier mode) through the CLI.
# Idempotent: run it again and it reuses what is there.
set -euo pipefail
# shellcheck source=tests/cloud/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tests/cloud/lib.sh"

cs_install_venv
cs_cloud_up
export PATH=$CS_VENV/bin:$PATH
demo() { echo "+ openstack --os-cloud minicloud-demo $*" >&2; openstack --os-cloud minicloud-demo "$@"; }
admin() { echo "+ openstack --os-cloud minicloud $*" >&2; openstack --os-cloud minicloud "$@"; }

# The test cloud's fake hypervisor forgets its guests when its nova-compute
# restarts (after tests/cloud/down.sh, a reboot): Nova then shows them with
# no power state and cannot snapshot them. Deploy the app afresh.
if openstack --os-cloud minicloud-demo stack show demo-app >/dev/null 2>&1 &&
  openstack --os-cloud minicloud-demo server list --long --name '^web-' \
    -f value -c "Power State" | grep -qvx '1'; then
  echo "The demo app's servers lost their hypervisor: deploying it again"
  openstack --os-cloud minicloud-demo appgroup delete demo-app 2>/dev/null || true
  demo stack delete --yes --wait demo-app
fi
if ! openstack --os-cloud minicloud-demo stack show demo-app >/dev/null 2>&1; then
  demo stack create --wait -t "$CS_ROOT/devstack/files/demo-app.yaml" demo-app >/dev/null
fi
if openstack --os-cloud minicloud-demo appgroup show demo-app >/dev/null 2>&1; then
  demo appgroup show demo-app
else
  demo appgroup create demo-app --heat-stack demo-app \
    --description "web tier of the demo app" --mode barrier
fi
echo "As the tenant: each member's Host ID tells the hosts apart"
demo appgroup member list demo-app
echo "As the operator (admin sees another project's group by its ID): the compute host of each member"
admin appgroup member list "$(openstack --os-cloud minicloud-demo appgroup show demo-app -f value -c id)"

echo "One consistent snapshot of the whole app: barrier mode, every member held, then all captured at one instant"
SNAP=$(demo appgroup snapshot create demo-app --mode barrier --wait -f value -c id)
admin appgroup snapshot show "$SNAP"
