# Shared by tests/run.sh and devstack/quickstart.sh (source it).
CS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export MC_DIR=${MC_DIR:-/tmp/minicloud}
CS_VENV=${CS_VENV:-$CS_ROOT/.venv}
CS_HORIZON_VENV=${CS_HORIZON_VENV:-$CS_ROOT/.venv-horizon}
CS_HORIZON_REQUIREMENTS=(horizon==27.0.0)
CS_HORIZON_DIR=${CS_HORIZON_DIR:-$MC_DIR/consistent-snap/horizon}
CS_KEYSTONE_URL=http://127.0.0.1:${MC_KEYSTONE_PORT:-5000}/v3
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

cs_horizon_dashboard_dir() {
  "$CS_HORIZON_VENV/bin/python" -c \
    'import openstack_dashboard, os; print(os.path.dirname(openstack_dashboard.__file__))'
}

# The venv, with our package linked in, its enabled/ files in Horizon's
# local/enabled/ (as devstack does), and the static files collected and
# compressed once: the served pages then need no SCSS compiler.
cs_install_horizon() {
  local stamp
  stamp=$(echo "${CS_HORIZON_REQUIREMENTS[*]}" | cat - "$CS_ROOT/requirements.txt" \
    "$CS_ROOT/tests/cloud/constraints.txt" "$CS_ROOT/setup.cfg" \
    "$CS_ROOT/tests/cloud/lib.sh" | sha256sum | cut -c1-16)
  if [[ $(cat "$CS_HORIZON_VENV/.cs-stamp" 2>/dev/null) == "$stamp" ]]; then
    return
  fi
  cs_log "installing Horizon and consistent-snap's panels into $CS_HORIZON_VENV"
  local start=$SECONDS
  [[ -x $CS_HORIZON_VENV/bin/pip ]] || python3 -m venv "$CS_HORIZON_VENV"
  "$CS_HORIZON_VENV/bin/pip" install -q -U pip setuptools wheel
  # Our runtime requirements too: the panels import consistent_snap.sdk.
  "$CS_HORIZON_VENV/bin/pip" install -q -c "$CS_ROOT/tests/cloud/constraints.txt" \
    "${CS_HORIZON_REQUIREMENTS[@]}" -r "$CS_ROOT/requirements.txt"
  "$CS_HORIZON_VENV/bin/pip" install -q --no-deps -e "$CS_ROOT"
  local dashboard
  dashboard=$(cs_horizon_dashboard_dir)
  ln -sf "$CS_ROOT"/consistent_snap/dashboard/enabled/_9*.py \
    "$dashboard/local/enabled/"
  cs_horizon_settings  # collectstatic and compress read them.
  "$CS_HORIZON_VENV/bin/django-admin" collectstatic --noinput -v 0 \
    --settings openstack_dashboard.settings
  "$CS_HORIZON_VENV/bin/django-admin" compress --force -v 0 \
    --settings openstack_dashboard.settings
  echo "$stamp" >"$CS_HORIZON_VENV/.cs-stamp"
  cs_log "Horizon installed in $((SECONDS - start)) s"
}

# Horizon's local_settings.py for the test cloud.
cs_horizon_settings() {
  local dashboard
  dashboard=$(cs_horizon_dashboard_dir)
  mkdir -p "$CS_HORIZON_DIR"
  [[ -s $CS_HORIZON_DIR/secret_key ]] ||
    python3 -c 'import secrets; print(secrets.token_urlsafe(48))' >"$CS_HORIZON_DIR/secret_key"
  cat >"$dashboard/local/local_settings.py" <<PY
# Written by consistent-snap's tests/cloud/lib.sh: Horizon on the test cloud.
DEBUG = False
ALLOWED_HOSTS = ['*']
SECRET_KEY = open('$CS_HORIZON_DIR/secret_key').read().strip()
OPENSTACK_HOST = '127.0.0.1'
OPENSTACK_KEYSTONE_URL = '$CS_KEYSTONE_URL'
OPENSTACK_KEYSTONE_DEFAULT_ROLE = 'member'
OPENSTACK_ENDPOINT_TYPE = 'publicURL'
SESSION_ENGINE = 'django.contrib.sessions.backends.cache'
CACHES = {'default': {
    'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}}
STATIC_ROOT = '$CS_HORIZON_VENV/static'
COMPRESS_OFFLINE = True
# Plain HTTP on 127.0.0.1.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LOGGING = {'version': 1, 'disable_existing_loggers': False,
           'handlers': {'console': {'class': 'logging.StreamHandler'}},
           'loggers': {'horizon': {'handlers': ['console'], 'level': 'INFO'},
                       'openstack_dashboard': {'handlers': ['console'],
                                               'level': 'INFO'},
                       'django.request': {'handlers': ['console'],
                                          'level': 'ERROR'},
                       'consistent_snap': {'handlers': ['console'],
                                           'level': 'INFO'}}}
PY
}

# Debian's chromium and chromedriver, for tests/functional/test_dashboard.py.
cs_install_chromium() {
  if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
    cs_log "apt-get: installing chromium and chromium-driver"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      chromium chromium-driver fonts-dejavu-core >/dev/null
  fi
}

# Tempest from PyPI in a venv of its own (its requirements are not ours),
# with consistent-snap installed without dependencies so that its plugin
# (entry point tempest.test_plugins) registers; the plugin imports only
# what tempest brings. Reinstalled when the version or setup.cfg changes.
CS_TEMPEST_VENV=${CS_TEMPEST_VENV:-$CS_ROOT/.venv-tempest}
CS_TEMPEST_VERSION=${CS_TEMPEST_VERSION:-47.0.0}
cs_install_tempest_venv() {
  local stamp
  stamp=$(echo "tempest==$CS_TEMPEST_VERSION" | cat - "$CS_ROOT/setup.cfg" |
    sha256sum | cut -c1-16)
  if [[ $(cat "$CS_TEMPEST_VENV/.cs-stamp" 2>/dev/null) != "$stamp" ]]; then
    cs_log "installing tempest $CS_TEMPEST_VERSION into $CS_TEMPEST_VENV"
    [[ -x $CS_TEMPEST_VENV/bin/pip ]] || python3 -m venv "$CS_TEMPEST_VENV"
    "$CS_TEMPEST_VENV/bin/pip" install -q -U pip setuptools wheel
    "$CS_TEMPEST_VENV/bin/pip" install -q "tempest==$CS_TEMPEST_VERSION"
    "$CS_TEMPEST_VENV/bin/pip" install -q --no-deps -e "$CS_ROOT"
    echo "$stamp" >"$CS_TEMPEST_VENV/.cs-stamp"
  fi
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
