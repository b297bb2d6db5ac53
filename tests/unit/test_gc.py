"""The garbage collector, and artifact lookups that read every page.

A real SQLite file holds the group snapshots. The one boundary faked is
the cloud's HTTP API (Glance v2, Cinder v3), which cannot run here: the
fakes answer the very requests the code sends with payloads shaped as
the real services shape them, pages included (glance/api/v2/images.py:
a full page ends with a "next" path that repeats the query with a new
marker; cinder/api/common.py: a full page of snapshots ends with
"snapshots_links", an absolute URL; cinder/api/v3/group_snapshots.py:
no link at all, filters, all_tenants and pages only from 3.29, and an
empty list for a non-admin who asks for all_tenants there). Their
pages are tiny, so that a few items already span several.
"""

import datetime
import json
import re
import subprocess
import sys
import types
import urllib.parse

from openstack import exceptions as sdk_exceptions
from oslo_utils import timeutils
from oslo_utils import uuidutils
import pytest

from consistent_snap.agent import manager as agent_manager
from consistent_snap.capturers import base
from consistent_snap.capturers import cinder
from consistent_snap.capturers import fake
from consistent_snap.capturers import nova
from consistent_snap.cmd import manage
from consistent_snap import context as cs_context
from consistent_snap.coordinator import gc
from consistent_snap.coordinator import manager
from consistent_snap import states

LABEL = base.LABEL
SERVICE_PROJECT = 'service-project'
HOUR = datetime.timedelta(hours=1)


class Response:
    """What keystoneauth hands back (openstacksdk does not raise)."""

    def __init__(self, body, status_code=200):
        self.body, self.status_code = body, status_code
        self.headers = {'content-type': 'application/json'}
        self.content = json.dumps(body).encode()

    def json(self):
        return self.body


def _stamp(when, glance):
    """Glance: 2026-01-01T00:00:00Z; Cinder: 2026-01-01T00:00:00.000000."""
    if glance:
        return when.strftime('%Y-%m-%dT%H:%M:%SZ')
    return when.strftime('%Y-%m-%dT%H:%M:%S.%f')


def _page(items, params, limit):
    """The items after the marker, newest first (created_at, id desc)."""
    ordered = sorted(items, key=lambda i: (i['created_at'], i['id']),
                     reverse=True)
    start = 0
    if params.get('marker'):
        ids = [i['id'] for i in ordered]
        if params['marker'] not in ids:
            return None
        start = ids.index(params['marker']) + 1
    return ordered[start:start + limit]


class FakeGlance:
    """GET /v2/images as Glance answers an admin, who sees every project."""

    LIMIT_PARAM_DEFAULT = 2  # 25 in Glance
    API_LIMIT_MAX = 3  # 1000 in Glance
    NOT_FILTERS = ('limit', 'marker', 'os_hidden', 'sort_key', 'sort_dir')

    def __init__(self):
        self.images, self.requests, self.deleted = [], [], []

    def add(self, name, created_at, **properties):
        image = {
            'id': uuidutils.generate_uuid(), 'name': name,
            'status': 'active', 'visibility': 'private',
            'owner': 'demo-project', 'protected': False, 'os_hidden': False,
            'disk_format': 'qcow2', 'container_format': 'bare',
            'created_at': _stamp(created_at, True),
            'updated_at': _stamp(created_at, True), 'tags': [],
            'schema': '/v2/schemas/image'}
        image['self'] = image['file'] = '/v2/images/%s' % image['id']
        image.update(properties)  # Custom properties: at the top.
        self.images.append(image)
        return image

    def get(self, path, params=None, **kwargs):
        assert path == '/images' and not kwargs
        params = {k: str(v) for k, v in (params or {}).items()}
        self.requests.append(params)
        limit = min(int(params.get('limit', self.LIMIT_PARAM_DEFAULT)),
                    self.API_LIMIT_MAX)
        hidden = params.get('os_hidden', 'false') == 'true'
        filters = {k: v for k, v in params.items()
                   if k not in self.NOT_FILTERS}
        page = _page([i for i in self.images
                      if i['os_hidden'] == hidden and all(
                          str(i.get(k)) == v for k, v in filters.items())],
                     params, limit)
        if page is None:
            return Response({'message': 'marker not found'}, 400)
        body = {'images': page, 'first': '/v2/images',
                'schema': '/v2/schemas/images'}
        if page and len(page) == limit:
            body['next'] = '/v2/images?%s' % urllib.parse.urlencode(
                dict(params, marker=page[-1]['id']))
        return Response(body)

    def delete_image(self, image_id, ignore_missing=True):
        self.deleted.append(image_id)
        self.images = [i for i in self.images if i['id'] != image_id]


class FakeCinder:
    """GET /v3/{project}/snapshots/detail and group_snapshots/detail."""

    OSAPI_MAX_LIMIT = 2  # 1000 in Cinder
    URL = 'http://cinder.example:8776/v3/%s' % SERVICE_PROJECT

    def __init__(self, admin=True):
        self.admin = admin
        self.snapshots, self.groups = [], []
        self.requests, self.deleted, self.refuse = [], [], {}

    def add_snapshot(self, name, created_at, project, metadata=None,
                     status='available'):
        snapshot = {
            'id': uuidutils.generate_uuid(), 'name': name,
            'description': None, 'status': status, 'size': 1,
            'volume_id': uuidutils.generate_uuid(),
            'created_at': _stamp(created_at, False), 'updated_at': None,
            'metadata': metadata or {}, 'group_snapshot_id': None,
            'os-extended-snapshot-attributes:project_id': project,
            'os-extended-snapshot-attributes:progress': '100%'}
        self.snapshots.append(snapshot)
        return snapshot

    def add_group(self, name, created_at, project, description=None):
        group = {'id': uuidutils.generate_uuid(), 'name': name,
                 'description': description, 'status': 'available',
                 'group_id': uuidutils.generate_uuid(),
                 'group_type_id': uuidutils.generate_uuid(),
                 'created_at': _stamp(created_at, False),
                 'project': project}  # Not shown before 3.58.
        self.groups.append(group)
        return group

    def _visible(self, items, params, owner):
        if self.admin and params.pop('all_tenants', None) in ('1', 'True'):
            return list(items)
        return [i for i in items if owner(i) == SERVICE_PROJECT]

    def get(self, path, params=None, microversion=None):
        params = {k: str(v) for k, v in (params or {}).items()}
        self.requests.append((path, microversion, dict(params)))
        query = dict(params)
        limit = min(int(query.pop('limit', self.OSAPI_MAX_LIMIT)),
                    self.OSAPI_MAX_LIMIT)
        if path == '/snapshots/detail':
            assert microversion in ('3.14', '3.22')
            items = self._visible(
                self.snapshots, query,
                lambda s: s['os-extended-snapshot-attributes:project_id'])
            if 'metadata' in query:
                wanted = json.loads(query.pop('metadata'))
                items = [s for s in items if all(
                    s['metadata'].get(k) == v for k, v in wanted.items())]
            if 'group_snapshot_id' in query:
                wanted = query.pop('group_snapshot_id')
                items = [s for s in items
                         if s['group_snapshot_id'] == wanted]
            page = _page(items, query, limit)
            body = {'snapshots': page}
            if page and len(page) == limit:
                body['snapshots_links'] = [{
                    'rel': 'next', 'href': '%s/snapshots/detail?%s' % (
                        self.URL, urllib.parse.urlencode(
                            dict(params, marker=page[-1]['id'])))}]
            return Response(body)
        assert path == '/group_snapshots/detail'
        if tuple(map(int, microversion.split('.'))) < (3, 29):
            # Before 3.29 the query is not read at all.
            items = [g for g in self.groups
                     if g['project'] == SERVICE_PROJECT]
            page = _page(items, {}, len(items))
        else:
            if not self.admin and 'all_tenants' in query:
                return Response({'group_snapshots': []})
            items = self._visible(self.groups, query,
                                  lambda g: g['project'])
            marker = query.pop('marker', None)
            items = [g for g in items if all(
                g.get(k) == v for k, v in query.items())]
            page = _page(items, {'marker': marker}, limit)
        return Response({'group_snapshots': [
            {k: v for k, v in g.items() if k != 'project'} for g in page]})

    def _delete(self, kind, item_id):
        if item_id in self.refuse:
            raise sdk_exceptions.BadRequestException(self.refuse[item_id])
        self.deleted.append((kind, item_id))
        self.snapshots = [s for s in self.snapshots if s['id'] != item_id]
        self.groups = [g for g in self.groups if g['id'] != item_id]

    def delete_snapshot(self, snapshot_id, ignore_missing=True):
        self._delete('snapshot', snapshot_id)

    def delete_group_snapshot(self, group_snapshot_id, ignore_missing=True):
        self._delete('group_snapshot', group_snapshot_id)


class FakeCloud:
    """openstacksdk's Connection, as far as the code uses it."""

    def __init__(self, admin=True):
        self.image, self.block_storage = FakeGlance(), FakeCinder(admin)
        roles = ['admin', 'member'] if admin else ['member']
        access = types.SimpleNamespace(role_names=roles)
        self.session = types.SimpleNamespace(auth=types.SimpleNamespace(
            get_access=lambda session: access))

    def has_service(self, service):
        return service in ('image', 'block-storage')


@pytest.fixture
def cloud():
    return FakeCloud()


@pytest.fixture
def admin():
    return cs_context.RequestContext(is_admin=True, overwrite=False)


def _name(snapshot_id, rest='web-0'):
    """As the agent names an artifact."""
    return 'cs-%s-%s' % (snapshot_id[:8], rest)


def _row(db, admin, status):
    return db.group_snapshot_create(admin, {
        'project_id': 'p-' + uuidutils.generate_uuid(), 'status': status,
        'mode': 'barrier', 'requested_by': 'u'})['id']


# Every page.

def test_nova_find_reads_every_page_of_glance(conf, cloud):
    snapshot_id = uuidutils.generate_uuid()
    old = timeutils.utcnow() - HOUR
    made = {cloud.image.add(_name(snapshot_id, 'web-%d' % n),
                            old + n * datetime.timedelta(seconds=1),
                            **{LABEL: snapshot_id})['id'] for n in range(7)}
    cloud.image.add('unrelated', old)
    cloud.image.add(_name(snapshot_id, 'hidden'), old, os_hidden=True,
                    **{LABEL: snapshot_id})
    found = nova.NovaCapturer(conf, cloud).find(snapshot_id)
    assert len(found) == 8
    assert made < {a['id'] for a in found}
    # Filtered by Glance, and pages followed by their marker.
    assert all(r[LABEL] == snapshot_id for r in cloud.image.requests)
    assert sum('marker' in r for r in cloud.image.requests) >= 2


def test_nova_find_leaves_images_that_inherited_the_label(conf, cloud):
    snapshot_id = uuidutils.generate_uuid()
    server, restored = uuidutils.generate_uuid(), uuidutils.generate_uuid()
    old = timeutils.utcnow() - HOUR
    label = {LABEL: snapshot_id, 'consistent_snap_server_id': server}
    ours = cloud.image.add(_name(snapshot_id), old, instance_uuid=server,
                           image_type='snapshot', **label)
    # A user's snapshot of a server restored from it: Nova copied the
    # properties of the server's image.
    cloud.image.add('my-backup', old, instance_uuid=restored,
                    base_image_ref=ours['id'], image_type='snapshot',
                    **label)
    # A shelve of that very server restored in place, named as ours.
    cloud.image.add(_name(snapshot_id), old, instance_uuid=server,
                    base_image_ref=ours['id'], image_type='snapshot',
                    **label)
    assert nova.NovaCapturer(conf, cloud).find(snapshot_id) == [
        {'type': 'image', 'id': ours['id']}]


def test_cinder_find_reads_every_page_and_the_requesters_project(conf,
                                                                 cloud):
    snapshot_id = uuidutils.generate_uuid()
    old = timeutils.utcnow() - HOUR
    label = {LABEL: snapshot_id}
    snapshots = {cloud.block_storage.add_snapshot(
        _name(snapshot_id, 'v%d' % n), old, 'demo-project', label)['id']
        for n in range(5)}
    cloud.block_storage.add_snapshot('other', old, 'demo-project')
    # The group snapshot is in the requester's project, not the
    # service's: only all_tenants, from 3.29, finds it.
    groups = {cloud.block_storage.add_group(
        _name(snapshot_id), old, 'demo-project',
        cinder.group_label(snapshot_id))['id']}
    for n in range(4):
        cloud.block_storage.add_group('g%d' % n, old, 'demo-project',
                                      'something else')
    found = cinder.CinderCapturer(conf, cloud).find(snapshot_id)
    assert {a['id'] for a in found if a['type'] == cinder.SNAPSHOT} == (
        snapshots)
    assert {a['id'] for a in found
            if a['type'] == cinder.GROUP_SNAPSHOT} == groups
    groups_asked = [(v, p) for path, v, p in cloud.block_storage.requests
                    if path == '/group_snapshots/detail']
    assert groups_asked[0] == ('3.29', {
        'all_tenants': '1', 'description': cinder.group_label(snapshot_id)})


def test_cinder_asks_all_tenants_only_as_an_admin(conf):
    cloud = FakeCloud(admin=False)
    snapshot_id = uuidutils.generate_uuid()
    old = timeutils.utcnow() - HOUR
    group = cloud.block_storage.add_group(_name(snapshot_id), old,
                                          SERVICE_PROJECT,
                                          cinder.group_label(snapshot_id))
    found = cinder.CinderCapturer(conf, cloud).find(snapshot_id)
    assert found == [{'type': cinder.GROUP_SNAPSHOT, 'id': group['id']}]
    assert all('all_tenants' not in p
               for _, _, p in cloud.block_storage.requests)


def test_a_service_that_repeats_its_marker_is_not_followed_forever():
    class Looping:
        def get(self, path, params=None):
            return Response({'images': [{'id': 'i1'}],
                             'next': '/v2/images?marker=i1'})
    with pytest.raises(RuntimeError, match='marker i1 twice'):
        list(base.list_all(Looping(), '/images', 'images'))


def test_a_failed_page_raises_instead_of_ending_the_list():
    class Failing:
        def get(self, path, params=None):
            return Response({'message': 'marker not found'}, 400)
    with pytest.raises(sdk_exceptions.BadRequestException):
        list(base.list_all(Failing(), '/images', 'images'))


# Ids recorded before the work.

def test_a_cinder_capture_hands_over_what_it_made_before_failing(conf):
    made = []

    def create_snapshot(volume_id, **kwargs):
        if made:
            raise sdk_exceptions.HttpException('quota exceeded')
        made.append(volume_id)
        return types.SimpleNamespace(id='snap-1')
    conn = types.SimpleNamespace(block_storage=types.SimpleNamespace(
        create_snapshot=create_snapshot))
    member = {'server_id': 's1', 'volumes': [{'id': 'v1'}, {'id': 'v2'}]}
    labels = {'name': 'cs-12345678-web-0',
              'properties': {LABEL: '12345678-x'}}
    with pytest.raises(base.PartialCapture) as failed:
        cinder.CinderCapturer(conf, conn).capture(member, labels)
    assert [a['id'] for a in failed.value.capture.artifacts] == ['snap-1']
    assert 'quota exceeded' in str(failed.value)


class MakingCapturer(fake.FakeCapturer):
    """Makes one artifact, then fails (``partial``) or succeeds."""

    blocks = True
    artifact_types = ('thing',)

    def __init__(self, conf, name, fail=None):
        super().__init__(conf, None)
        self.name, self.fail, self.deleted = name, fail, []

    def capture(self, member, labels):
        capture = base.Capture(artifacts=[{
            'type': 'thing', 'id': '%s-%s' % (self.name, member['server_id']),
            'status': 'creating'}], called_at=1.0)
        if self.fail == 'partial':
            raise base.PartialCapture(capture, RuntimeError('volume 2 failed'))
        if self.fail == 'all':
            raise RuntimeError('refused')
        capture.fixed_at = 1.0
        return capture

    def delete(self, artifact):
        self.deleted.append(artifact['id'])


def test_an_agent_records_and_aborts_what_a_failed_capture_made(conf,
                                                                tmp_path):
    conf.set_override('check_host', False, group='agent')
    conf.set_override('state_path', str(tmp_path))
    first = MakingCapturer(conf, 'image')
    second = MakingCapturer(conf, 'volume', fail='partial')
    third = MakingCapturer(conf, 'other', fail='all')
    agent = agent_manager.AgentManager(conf, 'compute-1',
                                       capturers=[first, second, third])
    members = [{'server_id': 's1', 'name': 'web-0', 'volumes': []}]
    report = agent.capture(None, 'gs-partial', members, None, None, False,
                           2000)
    [member] = report['members']
    assert member['status'] == 'error'
    assert 'volume 2 failed' in member['error']
    assert [a['id'] for a in member['artifacts']] == ['image-s1', 'volume-s1']
    agent.abort(None, 'gs-partial')
    assert (first.deleted, second.deleted) == (['image-s1'], ['volume-s1'])


# Garbage: which, decided on real rows.

@pytest.fixture
def garbage_world(db, admin, cloud):
    """Labelled artifacts of group snapshots in every state, two hours on.

    Returns (now, {name: artifact}); now is two hours after the rows
    were written, so that every row ended longer than the grace ago.
    """
    now = timeutils.utcnow() + 2 * HOUR
    old, young = now - 3 * HOUR, now - datetime.timedelta(minutes=5)
    rows = {status: _row(db, admin, status) for status in (
        states.AVAILABLE, states.ERROR, states.DELETED, states.FENCING,
        states.DELETING)}
    rows['missing'] = uuidutils.generate_uuid()
    glance, cinder_ = cloud.image, cloud.block_storage
    made = {}
    for key, snapshot_id in rows.items():
        made['image-%s' % key] = glance.add(_name(snapshot_id), old,
                                            **{LABEL: snapshot_id})
    made['image-young'] = glance.add(_name(rows[states.ERROR], 'y'), young,
                                     **{LABEL: rows[states.ERROR]})
    made['image-protected'] = glance.add(
        _name(rows['missing'], 'p'), old, protected=True,
        **{LABEL: rows['missing']})
    made['image-inherited'] = glance.add(
        'my-own-snapshot', old, instance_uuid=uuidutils.generate_uuid(),
        consistent_snap_server_id=uuidutils.generate_uuid(),
        **{LABEL: rows['missing']})
    made['image-unlabelled'] = glance.add('cirros', old)
    made['snapshot-deleted'] = cinder_.add_snapshot(
        _name(rows[states.DELETED], 'vol'), old, 'demo-project',
        {LABEL: rows[states.DELETED]})
    made['snapshot-available'] = cinder_.add_snapshot(
        _name(rows[states.AVAILABLE], 'vol'), old, 'demo-project',
        {LABEL: rows[states.AVAILABLE]})
    made['snapshot-deleting'] = cinder_.add_snapshot(
        _name(rows['missing'], 'vol'), old, 'demo-project',
        {LABEL: rows['missing']}, status='deleting')
    made['snapshot-foreign'] = cinder_.add_snapshot(
        'my-own-snapshot', old, 'demo-project', {LABEL: rows['missing']})
    made['group-missing'] = cinder_.add_group(
        _name(rows['missing']), old, 'demo-project',
        cinder.group_label(rows['missing']))
    made['group-fencing'] = cinder_.add_group(
        _name(rows[states.FENCING]), old, 'demo-project',
        cinder.group_label(rows[states.FENCING]))
    return types.SimpleNamespace(now=now, rows=rows, made=made)


GARBAGE = ('image-error', 'image-deleted', 'image-missing',
           'snapshot-deleted', 'group-missing')
KEPT = ('image-available', 'image-fencing', 'image-deleting',
        'snapshot-available', 'group-fencing')
SPARED = ('image-young', 'image-protected', 'image-inherited',
          'snapshot-deleting', 'snapshot-foreign')


def _by_name(world, verdicts):
    names = {a['id']: name for name, a in world.made.items()}
    return {names[v.artifact['id']]: v for v in verdicts}


def test_only_the_artifacts_of_gone_or_failed_snapshots_are_garbage(
        db, admin, cloud, garbage_world):
    world = garbage_world
    artifacts, errors = gc.list_artifacts(cloud)
    assert errors == []
    mine = [a for a in artifacts if a['snapshot_id'] in
            set(world.rows.values())]
    rows = db.group_snapshot_states(admin, {a['snapshot_id'] for a in mine})
    assert world.rows['missing'] not in rows
    assert rows[world.rows[states.DELETED]]['status'] == states.DELETED
    verdicts = _by_name(world, gc.judge(mine, rows, world.now, 3600))
    assert 'image-unlabelled' not in verdicts
    assert sorted(n for n, v in verdicts.items()
                  if v.action == gc.DELETE) == sorted(GARBAGE)
    assert sorted(n for n, v in verdicts.items()
                  if v.action == gc.KEEP) == sorted(KEPT)
    assert sorted(n for n, v in verdicts.items()
                  if v.action == gc.SPARE) == sorted(SPARED)
    assert verdicts['image-missing'].reason == (
        'group snapshot %s has no row in the database' %
        world.rows['missing'])
    assert 'within the grace period (3600 s)' in (
        verdicts['image-young'].reason)
    assert 'inherited the label' in verdicts['image-inherited'].reason
    assert verdicts['snapshot-foreign'].reason.endswith(
        'not one of its artifacts: it is not named cs-%s-...' %
        world.rows['missing'][:8])
    # Snapshots that failed a minute ago: their own clean-up may run yet.
    # Without a row, only the artifact's own age counts.
    just_now = timeutils.utcnow() + datetime.timedelta(minutes=1)
    early = _by_name(world, gc.judge(mine, rows, just_now, 3600))
    assert sorted(n for n, v in early.items() if v.action == gc.DELETE) == [
        'group-missing', 'image-missing']
    assert re.search(r'is error, since \d+ s only, within the grace',
                     early['image-error'].reason)


def test_collect_deletes_the_garbage_and_a_dry_run_nothing(
        conf, db, admin, cloud, garbage_world):
    world = garbage_world
    mine = list(world.rows.values())
    dry = gc.collect(conf, admin, dry_run=True, conn=cloud, now=world.now,
                     snapshot_ids=mine)
    assert cloud.image.deleted == [] and cloud.block_storage.deleted == []
    assert sorted(_by_name(world, dry.garbage)) == sorted(GARBAGE)
    line = _by_name(world, dry.garbage)['image-missing'].line(True)
    assert line == ('would delete image %s (project demo-project): group '
                    'snapshot %s has no row in the database' % (
                        world.made['image-missing']['id'],
                        world.rows['missing']))
    assert dry.summary().endswith('(dry run: nothing deleted)')
    # A delete that Cinder refuses is reported, the rest goes on.
    refused = world.made['snapshot-deleted']['id']
    cloud.block_storage.refuse[refused] = 'Invalid snapshot: in use'
    result = gc.collect(conf, admin, conn=cloud, now=world.now,
                        snapshot_ids=mine)
    assert sorted(cloud.image.deleted) == sorted(
        world.made[n]['id'] for n in GARBAGE if n.startswith('image'))
    assert cloud.block_storage.deleted == [
        ('group_snapshot', world.made['group-missing']['id'])]
    [failed] = result.failed
    assert failed.artifact['id'] == refused
    assert 'Invalid snapshot: in use' in failed.line(False)
    assert result.summary().endswith(': 4 deleted, 1 failed')
    # What is left is no longer found as garbage, but the refused one.
    again = gc.collect(conf, admin, dry_run=True, conn=cloud, now=world.now,
                       snapshot_ids=mine)
    assert [v.artifact['id'] for v in again.garbage] == [refused]


def test_a_row_that_moved_on_before_the_delete_keeps_its_artifacts(
        conf, db, admin, cloud, garbage_world, monkeypatch):
    world = garbage_world
    errored = world.rows[states.ERROR]
    states_of = db.group_snapshot_states
    reads = []

    def user_deletes_meanwhile(context, ids):
        reads.append(ids)
        if len(reads) == 2:  # Between the verdicts and the deletes.
            db.group_snapshot_update(admin, errored,
                                     {'status': states.DELETING})
        return states_of(context, ids)
    monkeypatch.setattr(gc.db_api, 'group_snapshot_states',
                        user_deletes_meanwhile)
    result = gc.collect(conf, admin, conn=cloud, now=world.now,
                        snapshot_ids=[errored])
    assert result.garbage == [] and cloud.image.deleted == []
    assert [v.reason for v in result.verdicts
            if v.artifact['id'] == world.made['image-error']['id']] == [
        'group snapshot %s is deleting' % errored]


def test_a_non_admin_context_is_refused(conf, cloud):
    with pytest.raises(ValueError):
        gc.collect(conf, cs_context.RequestContext(
            project_id='p', overwrite=False), conn=cloud)


def test_a_service_that_cannot_be_listed_is_reported(conf, admin, cloud):
    def broken(path, params=None, microversion=None):
        return Response({'message': 'Service Unavailable'}, 503)
    cloud.block_storage.get = broken
    artifacts, errors = gc.list_artifacts(cloud)
    assert [e.split(':')[0] for e in errors] == [
        'Cinder snapshots', 'Cinder group snapshots']


# Who runs it.

class Lock:
    def __init__(self):
        self.released = False

    def release(self):
        self.released = True


class Coordination:
    def __init__(self, free):
        self.free, self.asked, self.lock = free, [], Lock()

    def try_lock(self, name, wait_s=0):
        self.asked.append(name)
        return self.lock if self.free else None


def test_one_coordinator_at_a_time_collects(conf, admin, cloud,
                                            garbage_world, monkeypatch):
    monkeypatch.setattr(gc.clients, 'service_connection', lambda c: cloud)
    coordinator = manager.CoordinatorManager(conf, 'coordinator-1')
    coordinator.coordination = Coordination(free=False)
    assert coordinator.gc() is None
    assert coordinator.coordination.asked == [gc.LOCK]
    assert cloud.image.requests == []
    coordinator.coordination = Coordination(free=True)
    conf.set_override('gc_grace_period', 0, group='coordinator')
    result = coordinator.gc()
    assert coordinator.coordination.lock.released
    assert garbage_world.made['image-missing']['id'] in cloud.image.deleted
    assert result.failed == []


def test_the_options_are_listed_for_the_sample_config():
    from consistent_snap.conf import opts
    listed = {(group if isinstance(group, str) else group.name, o.name)
              for group, group_opts in opts.list_opts() for o in group_opts}
    assert {('coordinator', 'gc_interval'),
            ('coordinator', 'gc_grace_period')} <= listed


def test_manage_gc_prints_a_line_per_artifact_and_a_summary(
        conf, admin, cloud, garbage_world, monkeypatch, capsys):
    world = garbage_world
    monkeypatch.setattr(gc.clients, 'service_connection', lambda c: cloud)
    monkeypatch.setattr(gc.timeutils, 'utcnow', lambda: world.now)
    command = types.SimpleNamespace(dry_run=True,
                                    group_snapshots=list(world.rows.values()))
    status = manage._gc(types.SimpleNamespace(
        command=command, coordinator=conf.coordinator))
    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert len(lines) == len(GARBAGE) + len(SPARED) + 1
    assert ('would delete image %s' % world.made['image-missing']['id']
            in '\n'.join(lines))
    assert lines[-1] == ('%d labelled artifacts: %d kept, %d spared, %d '
                         'garbage (dry run: nothing deleted)' % (
                             len(GARBAGE + KEPT + SPARED), len(KEPT),
                             len(SPARED), len(GARBAGE)))


def test_manage_gc_takes_its_options():
    result = subprocess.run(
        [sys.executable, '-c', 'from consistent_snap.cmd import manage; '
         'manage.main()', '--config-file', '/dev/null', 'gc', '--help'],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert '--dry-run' in result.stdout
    assert '--group-snapshot ID' in result.stdout
