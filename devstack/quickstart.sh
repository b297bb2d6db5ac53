#!/usr/bin/env bash
# Quickstart on a fresh machine: installs consistent-snap and a real small
# OpenStack (tests/cloud), starts consistent-snap on its embedded defaults
# (SQLite, local processes), then, as the tenant "demo", deploys a Heat app
# (3 servers spread over 3 compute hosts, and 2 real QEMU guests on the 2
# libvirt hosts when the cloud has them), protects it as an app group, takes
# one consistent group snapshot of it (barrier mode) through the CLI, and
# restores that snapshot as a new copy beside the original.
# Idempotent: run it again and it reuses what is there (the copy an earlier
# run restored is deleted first).
set -euo pipefail
# shellcheck source=tests/cloud/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tests/cloud/lib.sh"

cs_install_venv
cs_cloud_up
export PATH=$CS_VENV/bin:$PATH
demo() { echo "+ openstack --os-cloud minicloud-demo $*" >&2; openstack --os-cloud minicloud-demo "$@"; }
admin() { echo "+ openstack --os-cloud minicloud $*" >&2; openstack --os-cloud minicloud "$@"; }
quiet() { openstack --os-cloud minicloud-demo "$@"; }
TEMPLATE=$CS_ROOT/devstack/files/demo-app.yaml
# The libvirt hosts (CS_WITH_LIBVIRT=1, the default) give the app a db tier
# of real guests with qemu-guest-agent: frozen for real in the snapshot.
GUESTS=0
if quiet image show guest >/dev/null 2>&1; then GUESTS=2; fi

# The test cloud's fake hypervisor forgets its guests when its nova-compute
# restarts (after tests/cloud/down.sh, a reboot): Nova then shows them with
# no power state and cannot snapshot them. Deploy the app afresh.
# (Nova's name filter takes no alternation: the app's servers are picked here.)
app_servers() { quiet server list --long -f value -c Name -c "Power State" | grep -E '^(web|db)-[0-9]+ '; }
if quiet stack show demo-app >/dev/null 2>&1 && app_servers | grep -qv ' 1$'; then
  echo "The demo app's servers lost their hypervisor: deploying it again"
  openstack --os-cloud minicloud-demo appgroup delete demo-app 2>/dev/null || true
  demo stack delete --yes --wait demo-app
fi
if ! quiet stack show demo-app >/dev/null 2>&1; then
  demo stack create --wait -t "$TEMPLATE" --parameter guests=$GUESTS demo-app >/dev/null
elif [[ $(app_servers | grep -c '^db-' || true) -lt $GUESTS ]]; then
  demo stack update --wait --existing -t "$TEMPLATE" --parameter guests=$GUESTS demo-app >/dev/null
fi
if openstack --os-cloud minicloud-demo appgroup show demo-app >/dev/null 2>&1; then
  demo appgroup show demo-app
else
  demo appgroup create demo-app --heat-stack demo-app \
    --description "the demo app: its web tier and db guests" --mode barrier
fi
echo "As the tenant: each member's Host ID tells the hosts apart"
demo appgroup member list demo-app
echo "As the operator (admin sees another project's group by its ID): the compute host of each member"
admin appgroup member list "$(openstack --os-cloud minicloud-demo appgroup show demo-app -f value -c id)"

echo "One consistent snapshot of the whole app: barrier mode, every member held, then all captured at one instant"
SNAP=$(demo appgroup snapshot create demo-app --mode barrier --wait -f value -c id)
admin appgroup snapshot show "$SNAP"

echo "Bring the app back from that snapshot: a new copy beside the original, planned first"
SNAPS=$(quiet appgroup snapshot list --app-group demo-app -f value -c ID)
for old in $(quiet appgroup restore list -f json | python3 -c '
import json, sys
snaps = set(sys.argv[1].split())
print(" ".join(r["ID"] for r in json.load(sys.stdin)
               if r["Group Snapshot ID"] in snaps and r["Status"] in ("available", "error")))
' "$SNAPS"); do
  demo appgroup restore delete "$old" --wait
done
demo appgroup restore create "$SNAP" --plan
RESTORE=$(demo appgroup restore create "$SNAP" --wait -f value -c id)
demo appgroup restore show "$RESTORE" -c status -c ready_s -c members
echo "The originals and their restored copies, side by side"
demo server list -c Name -c Status -c Image --sort-column Name
