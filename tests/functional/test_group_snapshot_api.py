"""POST /v1/group-snapshots over HTTP: bad requests and notifications."""

import threading
import time

import oslo_messaging as messaging
import pytest


def _create(api, body):
    return api('POST', '/v1/group-snapshots', json={'group_snapshot': body})


@pytest.mark.parametrize('body, code, expected', [
    ({}, 400, 'give either app_group'),
    ({'app_group': 'x', 'servers': ['5d8a7a34-3c49-4f87-9a0e-0e1f0b2c9a11']},
     400, 'give either app_group'),
    ({'app_group': 'no-such-group'}, 404,
     'App group no-such-group could not be found.'),
    ({'servers': ['5d8a7a34-3c49-4f87-9a0e-0e1f0b2c9a11']}, 404,
     'Server(s) 5d8a7a34-3c49-4f87-9a0e-0e1f0b2c9a11 could not be found'),
    ({'app_group': 'x', 'mode': 'fast'}, 400,
     "group_snapshot/mode: 'fast' is not one of"),
    ({'app_group': 'x', 'colour': 'red'}, 400, "'colour' was unexpected"),
])
def test_bad_requests_name_the_problem_and_record_nothing(api_as, body,
                                                          code, expected):
    api = api_as('minicloud-demo')
    # "Nothing new": earlier tests' deletions may still be ending.
    before = {s['id'] for s in api('GET', '/v1/group-snapshots').json()[
        'group_snapshots']}
    response = _create(api, body)
    assert response.status_code == code, response.text
    assert expected in response.json()['error']['message']
    after = {s['id'] for s in api('GET', '/v1/group-snapshots').json()[
        'group_snapshots']}
    assert after <= before


class _Collector:
    """Keeps the coordinator's notifications, by snapshot id.

    A durable pool queue may still hold older runs' notifications: only
    the snapshot's own end counts.
    """

    def __init__(self):
        self.events = []
        self.changed = threading.Condition()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        if publisher_id.startswith('consistent-snap-coordinator'):
            with self.changed:
                self.events.append((event_type, payload['id']))
                self.changed.notify_all()

    def wait_for_end(self, snapshot_id, timeout):
        def ended():
            return any(i == snapshot_id and e.endswith(('.end', '.error'))
                       for e, i in self.events)
        with self.changed:
            return self.changed.wait_for(ended, timeout)


@pytest.fixture
def notifications(test_cloud):
    """A notification listener with a pool of its own.

    With its own pool it sees every notification and takes none from
    other consumers.
    """
    from oslo_config import cfg
    conf = cfg.ConfigOpts()
    transport = messaging.get_notification_transport(
        conf, url=test_cloud.TRANSPORT_URL)
    collector = _Collector()
    listener = messaging.get_notification_listener(
        transport, [messaging.Target(topic='notifications')], [collector],
        pool='consistent-snap-tests')
    listener.start()
    yield collector
    listener.stop()
    listener.wait()
    transport.cleanup()


def test_a_snapshot_notifies_start_and_end(api_as, spread_servers,
                                           notifications):
    api = api_as('minicloud-demo')
    server_ids = [s.id for s in spread_servers['servers'][:2]]
    response = _create(api, {'servers': server_ids})
    assert response.status_code == 202, response.text
    snapshot = response.json()['group_snapshot']
    assert response.headers['Location'].endswith(snapshot['id'])
    assert notifications.wait_for_end(snapshot['id'], 120)
    events = [(e, i) for e, i in notifications.events
              if i == snapshot['id']]
    assert events == [('group_snapshot.create.start', snapshot['id']),
                      ('group_snapshot.create.end', snapshot['id'])]
    shown = api('GET', '/v1/group-snapshots/%s' % snapshot['id']).json()[
        'group_snapshot']
    # A VM-level request without the indication is not fenced (claim 4).
    assert (shown['status'], shown['consistent']) == ('available', False)
    assert api('DELETE', '/v1/group-snapshots/%s' %
               snapshot['id']).status_code == 202


def _trusts_of(admin, user_id):
    return {t.id for t in admin.identity.trusts(trustor_user_id=user_id)}


def test_images_belong_to_the_project_that_asked(api_as, admin, demo,
                                                 spread_servers):
    from tests.functional.conftest import wait_for_snapshot
    api = api_as('minicloud-demo')
    before = _trusts_of(admin, demo.current_user_id)
    response = _create(api, {'servers': [spread_servers['servers'][0].id]})
    assert response.status_code == 202, response.text
    snap = wait_for_snapshot(api, response.json()['group_snapshot']['id'])
    assert snap['status'] == 'available', snap['error']
    [artifact] = snap['members'][0]['artifacts']
    # Made through the requester's trust: the tenant owns and sees it.
    image = demo.image.get_image(artifact['id'])
    assert image.owner == demo.current_project_id
    # Final: the delegation the request made is revoked, not left to its
    # expiry (it lasts the run's timeouts plus 10 minutes).
    deadline = time.monotonic() + 60
    while _trusts_of(admin, demo.current_user_id) - before:
        assert time.monotonic() < deadline, 'trust not revoked: %s' % (
            _trusts_of(admin, demo.current_user_id) - before)
        time.sleep(0.5)
    assert api('DELETE', '/v1/group-snapshots/%s' %
               snap['id']).status_code == 202
