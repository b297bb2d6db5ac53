"""Real parts for functional tests: the test cloud, the API, the broker.

Run by hand, these fixtures bring up what is missing (tests/cloud/up.sh,
then tests/cloud/plugin.py up); tests/run.sh has done it already in CI.
"""

import os
import pathlib
import subprocess
import sys

import openstack
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tests' / 'cloud'))
import plugin as cloud_plugin  # noqa: E402


def _cloud_healthy():
    return subprocess.run(['bash', str(ROOT / 'tests/cloud/up.sh'), 'status'],
                          capture_output=True).returncode == 0


@pytest.fixture(scope='session')
def test_cloud():
    """The test cloud with consistent-snap's API registered and running."""
    if not _cloud_healthy():
        subprocess.run(['bash', str(ROOT / 'tests/cloud/up.sh')], check=True,
                       env=dict(os.environ, WITH_CINDER='1', WITH_HEAT='1'))
    if not cloud_plugin.port_open(cloud_plugin.API_PORT):
        cloud_plugin.up()
    os.environ.update(cloud_plugin.env())
    return cloud_plugin


@pytest.fixture(scope='session')
def admin(test_cloud):
    return openstack.connect(cloud='minicloud')


@pytest.fixture(scope='session')
def demo(test_cloud):
    return openstack.connect(cloud='minicloud-demo')


@pytest.fixture(scope='session')
def transport_url(test_cloud):
    return cloud_plugin.TRANSPORT_URL
