#!/usr/bin/env bash
# consistent-snap's Tempest plugin, run by real tempest against the test
# cloud: installs tempest into its own venv when missing, makes a workspace
# (tempest init) and its etc/tempest.conf from the cloud, then runs
# `tempest run --regex consistent_snap` and exits with its status.
# Arguments go to `tempest run`, e.g. `bash tests/tempest/run.sh --list-tests`.
# Expects the test cloud up (tests/run.sh brings it up).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../cloud/lib.sh"
WORKSPACE=${CS_TEMPEST_WORKSPACE:-$CS_ROOT/.tempest}

cs_install_tempest_venv
if [[ ! -f $WORKSPACE/.stestr.conf ]]; then
  rm -rf "$WORKSPACE"
  "$CS_TEMPEST_VENV/bin/tempest" init --workspace-path "$WORKSPACE.yaml" \
    --name "cs-tempest" "$WORKSPACE" >/dev/null
fi
"$CS_VENV/bin/python" "$CS_ROOT/tests/tempest/write_conf.py" "$WORKSPACE"
cd "$WORKSPACE"
exec "$CS_TEMPEST_VENV/bin/tempest" run --regex consistent_snap \
  --concurrency "${CS_TEMPEST_CONCURRENCY:-2}" "$@"
