"""consistent-snap's Tempest plugin, run by real tempest on the test cloud.

tests/tempest/run.sh installs tempest into its own venv when missing,
writes the workspace's tempest.conf from the cloud and runs
`tempest run --regex consistent_snap`; here we check what tempest reports.
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
RUN = ROOT / 'tests' / 'tempest' / 'run.sh'
# The tests in consistent_snap/tempest_plugin/tests: 8 on app groups,
# 3 on backup policies, 3 scenarios (2 snapshots, 1 restore).
EXPECTED = 14

pytestmark = pytest.mark.skipif(not os.environ.get('CS_TEST_CLOUD'),
                                reason='CS_TEST_CLOUD is not set')


def _tempest(*args, timeout):
    # write_conf.py needs openstacksdk: this interpreter's venv has it.
    env = dict(os.environ, CS_VENV=os.environ.get('CS_VENV', sys.prefix))
    return subprocess.run(['bash', str(RUN), *args], capture_output=True,
                          text=True, timeout=timeout, env=env)


def _total(output, what):
    found = re.search(r'^ - %s: (\d+)$' % what, output, re.MULTILINE)
    assert found, 'no "%s" in tempest\'s summary:\n%s' % (what, output[-3000:])
    return int(found.group(1))


def test_tempest_lists_the_plugin_tests(test_cloud):
    result = _tempest('--list-tests', timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    listed = [line for line in result.stdout.splitlines()
              if line.startswith('consistent_snap.tempest_plugin.tests.')]
    assert len(listed) >= EXPECTED, result.stdout


def _failures(output):
    """What a person needs from a failed run.

    The FAILED lines, then the start of the first failure's traceback
    (the output's tail is only cleanups).
    """
    failed = [line for line in output.splitlines() if 'FAILED' in line]
    start = output.find('Captured traceback')
    shown = output[start:start + 6000] if start >= 0 else output[-6000:]
    return '\n'.join(failed) + '\n' + shown


def test_tempest_run_passes(test_cloud):
    result = _tempest(timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, _failures(output)
    assert _total(output, 'Failed') == 0, _failures(output)
    assert _total(output, 'Skipped') == 0, output[-6000:]
    assert _total(output, 'Passed') >= EXPECTED, output[-3000:]
