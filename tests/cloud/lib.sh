# Shared by tests/run.sh and devstack/quickstart.sh (source it).
CS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export MC_DIR=${MC_DIR:-/tmp/minicloud}
CS_VENV=${CS_VENV:-$CS_ROOT/.venv}
cs_log() { echo "[$(date +%T)] $*"; }

# The project's venv with its runtime and test requirements, pinned to the
# set the test cloud was tested with; reinstalled when a requirement changes.
cs_install_venv() {
  local stamp
  stamp=$(cat "$CS_ROOT/requirements.txt" "$CS_ROOT/test-requirements.txt" \
    "$CS_ROOT/tests/cloud/constraints.txt" "$CS_ROOT/setup.cfg" | sha256sum | cut -c1-16)
  if [[ $(cat "$CS_VENV/.cs-stamp" 2>/dev/null) != "$stamp" ]]; then
    cs_log "installing consistent-snap and its requirements into $CS_VENV"
    [[ -x $CS_VENV/bin/pip ]] || python3 -m venv "$CS_VENV"
    "$CS_VENV/bin/pip" install -q -U pip setuptools wheel
    "$CS_VENV/bin/pip" install -q -c "$CS_ROOT/tests/cloud/constraints.txt" \
      -r "$CS_ROOT/requirements.txt" -r "$CS_ROOT/test-requirements.txt"
    "$CS_VENV/bin/pip" install -q --no-deps -e "$CS_ROOT"
    echo "$stamp" >"$CS_VENV/.cs-stamp"
  fi
}

# The test cloud (Keystone, Nova with compute-1..3, Glance, Neutron, Cinder,
# Heat; with CS_WITH_LIBVIRT=1, the default, also compute-real and
# compute-real-2 running real QEMU guests through Nova's libvirt driver) and
# consistent-snap on it, registered in Keystone, SQLite database.
cs_cloud_up() {
  local libvirt=${CS_WITH_LIBVIRT:-1}
  WITH_CINDER=1 WITH_HEAT=1 WITH_LIBVIRT=$libvirt MC_LIBVIRT_HOSTS=2 \
    bash "$CS_ROOT/tests/cloud/up.sh"
  if [[ $libvirt == 1 ]] && ! "$CS_VENV/bin/python" -c 'import libvirt' 2>/dev/null; then
    # Built against the libvirt-dev that up.sh installed.
    cs_log "installing libvirt-python into $CS_VENV"
    "$CS_VENV/bin/pip" install -q "libvirt-python${MC_LIBVIRT_PYTHON_VERSION:-==12.8.0}"
  fi
  "$CS_VENV/bin/python" "$CS_ROOT/tests/cloud/plugin.py" up
  eval "$("$CS_VENV/bin/python" "$CS_ROOT/tests/cloud/plugin.py" env)"
}

# What tests/functional/test_devstack_plugin.py needs beyond the cloud:
# the shellcheck command, and a compiler and Python headers for the pip-built
# uwsgi of tests/devstack/harness.sh (which makes its venv on first use).
cs_install_devstack_tools() {
  local pkgs=() include
  command -v shellcheck >/dev/null || pkgs+=(shellcheck)
  command -v gcc >/dev/null || pkgs+=(gcc libc6-dev)
  include=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
  [[ -f $include/Python.h ]] || pkgs+=(python3-dev)
  if ((${#pkgs[@]})); then
    cs_log "apt-get: installing ${pkgs[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null
  fi
}
