"""Schema-based fuzzing of the API: a real process behind Keystone.

schemathesis generates requests from consistent_snap/api/openapi.yaml,
valid ones and invalid ones, and sends them as the demo member with a real
Keystone token. No answer may be a 5xx, each must be one the document
declares, with the declared body, and the process must still answer
afterwards.

The API fuzzed is a process of this module's own, on its own SQLite
database, so nothing it creates touches the test cloud's consistent-snap
database. Its transport_url is oslo.messaging's in-memory fake driver: a
group snapshot it accepts is cast to no coordinator, so no image is ever
made in Glance. It reads Nova, Heat and Keystone with the service
credentials like any API process.

The budget is fixed: FUZZ_EXAMPLES generated cases per operation (and the
document's examples and schemathesis's boundary cases), a fixed seed, and
at most FUZZ_SECONDS of requests in all; CS_FUZZ_SEED changes the seed.
"""

import os
import pathlib
import signal
import socket
import subprocess
import time
import uuid

import hypothesis
import openstack
from oslo_utils import uuidutils
import pytest
import requests
import schemathesis
import sqlalchemy as sa

from consistent_snap.db import models

IP = '127.0.0.1'
DOCUMENT = (pathlib.Path(__file__).resolve().parents[2] / 'consistent_snap' /
            'api' / 'openapi.yaml')
FUZZ_EXAMPLES = 25
FUZZ_SECONDS = 75
# Scenarios of a create followed by what its links lead to.
STATEFUL_SCENARIOS = 12
STATEFUL_STEPS = 6
SEED = int(os.environ.get('CS_FUZZ_SEED', '20261124'))


def _schema(stateful):
    """The document, with the stateful phase on (its own test) or off."""
    return schemathesis.openapi.from_path(
        DOCUMENT, config=schemathesis.Config.from_dict({
            'seed': SEED,
            # How fast data is generated is no property of the API.
            'suppress-health-check': ['too_slow', 'data_too_large',
                                      'filter_too_much',
                                      'large_base_example'],
            'generation': {'mode': 'all', 'max-examples': FUZZ_EXAMPLES,
                           'no-shrink': True, 'database': 'none',
                           # The token is ours; do not fuzz it.
                           'with-security-parameters': False},
            'phases': {'stateful': {'enabled': stateful}},
            # Every check but one: whether a valid body is accepted depends
            # on more than its schema (a source type may be disabled), and
            # the document's patterns are ECMA-262 while the API validates
            # with Python's re, where \s and '.' differ (U+001C-U+001F and
            # U+0085 are white space to Python only).
            # tests/unit/test_openapi.py compares the document and the code
            # on bodies with Python's semantics.
            'checks': {'positive_data_acceptance': {'enabled': False}},
        }))


schema = _schema(stateful=False)


def _free_port():
    with socket.socket() as s:
        s.bind((IP, 0))
        return s.getsockname()[1]


def _wait_port(proc, port, log, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        with socket.socket() as s:
            if s.connect_ex((IP, port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError('the fuzzed API did not listen on port %d:\n%s' %
                       (port, log.read_text()[-3000:]))


@pytest.fixture(scope='module')
def fuzz_api(test_cloud, tmp_path_factory):
    """An API process of our own: own port, database and fake transport.

    Started and stopped by its pid, not through the cloud's pid files, so
    that `plugin.py down` run by anyone leaves it alone.
    """
    work = tmp_path_factory.mktemp('fuzz-api')
    port = _free_port()
    connection = 'sqlite:///%s' % (work / 'fuzz.sqlite')
    conf = work / 'consistent-snap.conf'
    conf.write_text(test_cloud.config_text(
        connection=connection, port=port,
        extra='[DEFAULT]\nstate_path = %s\ntransport_url = fake:///\n' %
              work))
    test_cloud.db_sync(conf)
    log = work / 'api.log'
    with open(log, 'ab') as out:
        proc = subprocess.Popen(
            [str(test_cloud.BIN / 'consistent-snap-api'), '--config-file',
             str(conf)], stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_port(proc, port, log)
        yield {'url': 'http://%s:%d' % (IP, port),
               'proc': proc, 'log': log, 'connection': connection}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture(scope='module')
def demo_conn(test_cloud):
    return openstack.connect(cloud='minicloud-demo')


@pytest.fixture(scope='module')
def token(demo_conn):
    return demo_conn.session.get_token()


@pytest.fixture(scope='module')
def seeded(fuzz_api, token, demo_conn):
    """Resources that exist, so that fuzzing reaches past the 404s.

    Two app groups (one to show, update and list the members of; one to
    delete) made through the API, and an available group snapshot written
    in the database as the coordinator would.
    """
    ids = {}
    for key in ('app_group_id', 'victim_app_group_id'):
        response = requests.post(
            fuzz_api['url'] + '/v1/app-groups', timeout=60,
            headers={'X-Auth-Token': token},
            json={'app_group': {'name': 'fuzz-%s' % uuid.uuid4().hex[:8],
                                'source_type': 'metadata',
                                'source': {'tags': ['cs-fuzz-none']}}})
        assert response.status_code == 201, response.text
        ids[key] = response.json()['app_group']['id']
    ids['group_snapshot_id'] = str(uuid.uuid4())
    engine = sa.create_engine(fuzz_api['connection'])
    with engine.begin() as conn:
        conn.execute(sa.insert(models.GroupSnapshot.__table__).values(
            id=ids['group_snapshot_id'], app_group_id=ids['app_group_id'],
            project_id=demo_conn.current_project_id, name='seeded',
            description='', status='available', mode='barrier',
            consistent=True, quiesce=True, requested_by='fuzz',
            created_at=sa.func.now()))
        conn.execute(sa.insert(models.MemberSnapshot.__table__).values(
            id=str(uuid.uuid4()), group_snapshot_id=ids['group_snapshot_id'],
            server_id=str(uuid.uuid4()), host='compute-1', artifacts=[],
            status='available', created_at=sa.func.now()))
    engine.dispose()
    return ids


@pytest.fixture(scope='module')
def budget():
    return {'deadline': None, 'sent': 0, 'skipped': 0, 'seconds': {}}


def _use_seeded(case, seeded):
    """Address the seeded resources instead of random IDs.

    The API finds the resource before it reads the body, so a random ID
    would stop nearly every case at a 404. An ID that is not a UUID is what
    an invalid case is testing: it is kept.
    """
    for name, value in case.path_parameters.items():
        key = name
        if name == 'app_group_id' and case.method.upper() == 'DELETE':
            key = 'victim_app_group_id'
        if key in seeded and uuidutils.is_uuid_like(value):
            case.path_parameters[name] = seeded[key]


@schema.parametrize()
def test_fuzz_finds_no_server_error(case, fuzz_api, token, seeded, budget):
    if budget['deadline'] is None:
        budget['deadline'] = time.monotonic() + FUZZ_SECONDS
    if time.monotonic() > budget['deadline']:
        budget['skipped'] += 1
        return
    _use_seeded(case, seeded)
    budget['sent'] += 1
    start = time.monotonic()
    try:
        case.call_and_validate(base_url=fuzz_api['url'],
                               headers={'X-Auth-Token': token}, timeout=60)
    finally:
        seconds = budget['seconds']
        label = case.operation.label
        seconds[label] = seconds.get(label, 0) + time.monotonic() - start


def test_a_stateful_fuzz_follows_what_it_creates(fuzz_api, token, budget):
    """Create, then show, change, list and delete what was created.

    The document's links lead from each create to the operations on what
    it made; every answer must be one the document declares.
    """
    class Workflow(_schema(stateful=True).as_state_machine()):
        def get_call_kwargs(self, case):
            budget['stateful'] = budget.get('stateful', 0) + 1
            return {'base_url': fuzz_api['url'], 'timeout': 60,
                    'headers': {'X-Auth-Token': token}}

    start = time.monotonic()
    Workflow.run(settings=hypothesis.settings(
        max_examples=STATEFUL_SCENARIOS, stateful_step_count=STATEFUL_STEPS,
        deadline=None, derandomize=True, database=None,
        suppress_health_check=list(hypothesis.HealthCheck)))
    print('stateful fuzzing: %d calls in %.1f s' % (
        budget['stateful'], time.monotonic() - start))
    assert budget['stateful'] > STATEFUL_SCENARIOS


@pytest.mark.parametrize('method, path, data', [
    # Percent-encoding that is not UTF-8, in each query parameter.
    ('GET', '/v1/app-groups?name=%ff', None),
    ('GET', '/v1/app-groups?marker=%ff', None),
    ('GET', '/v1/app-groups?limit=%ff', None),
    ('GET', '/v1/app-groups?%ff=1', None),
    ('GET', '/v1/group-snapshots?app_group=%ed%a0%80', None),
    # Half a surrogate pair: valid JSON, not storable text.
    ('POST', '/v1/app-groups', '{"app_group": {"name": "a\\ud800", '
     '"source_type": "metadata", "source": {"tags": ["x"]}}}'),
    ('POST', '/v1/group-snapshots',
     '{"group_snapshot": {"app_group": "\\udfff"}}'),
    # Deeper than the JSON decoder recurses.
    ('POST', '/v1/app-groups', '[' * 100000),
])
def test_hostile_requests_are_400(fuzz_api, token, method, path, data):
    response = requests.request(
        method, fuzz_api['url'] + path, data=data, timeout=60,
        headers={'X-Auth-Token': token, 'Content-Type': 'application/json'})
    assert response.status_code == 400, response.text
    assert response.json()['error']['code'] == 400


def _status(access_line):
    # 127.0.0.1 - - [date] "GET /v1 HTTP/1.1" 200 157 "-" "agent"
    parts = access_line.split('"')
    return parts[2].split()[0] if len(parts) > 2 and parts[2].split() else ''


def _server_errors(log):
    lines = log.read_text(errors='replace').splitlines()
    answered = [line for line in lines if line.startswith(IP + ' - ') and
                _status(line).startswith('5')]
    failed = [line for line in lines if 'Unexpected error' in line or
              'Error handling request' in line or 'Traceback' in line]
    return answered + failed


def test_the_api_survived_the_fuzzing(fuzz_api, token, budget):
    print('fuzzing: %(sent)d cases sent, %(skipped)d past the time budget'
          % budget)
    for label, seconds in sorted(budget['seconds'].items()):
        print('  %5.1f s  %s' % (seconds, label))
    if not budget['sent']:
        pytest.skip('test_fuzz_finds_no_server_error did not run')
    assert fuzz_api['proc'].poll() is None, 'the fuzzed API died'
    root = requests.get(fuzz_api['url'] + '/', timeout=30)
    assert root.status_code == 200
    listed = requests.get(fuzz_api['url'] + '/v1/app-groups', timeout=30,
                          headers={'X-Auth-Token': token})
    assert listed.status_code == 200, listed.text
    served = requests.get(fuzz_api['url'] + '/v1/openapi.yaml', timeout=30)
    assert served.status_code == 200
    assert served.headers['Content-Type'] == 'application/yaml'
    assert served.content == DOCUMENT.read_bytes()
    errors = _server_errors(fuzz_api['log'])
    assert not errors, '\n'.join(errors[:40])


def test_renaming_onto_a_taken_name_is_409(fuzz_api, token):
    headers = {'X-Auth-Token': token}
    ids = []
    for name in ('taken-', 'renamed-'):
        response = requests.post(
            fuzz_api['url'] + '/v1/app-groups', headers=headers, timeout=60,
            json={'app_group': {'name': name + uuid.uuid4().hex[:8],
                                'source_type': 'metadata',
                                'source': {'tags': ['cs-fuzz-none']}}})
        assert response.status_code == 201, response.text
        ids.append(response.json()['app_group'])
    response = requests.patch(
        fuzz_api['url'] + '/v1/app-groups/%s' % ids[1]['id'],
        headers=headers, timeout=60,
        json={'app_group': {'name': ids[0]['name']}})
    assert response.status_code == 409, response.text


def test_a_path_that_is_not_utf8_is_a_json_4xx(fuzz_api, token):
    response = requests.get(fuzz_api['url'] + '/v1/app-groups/%ff',
                            headers={'X-Auth-Token': token}, timeout=60)
    assert response.status_code in (400, 404), response.text
    assert response.json()['error']['code'] == response.status_code
