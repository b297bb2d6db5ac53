"""consistent-snap-manage gc on the test cloud: leftovers go, the rest stays.

Real Glance, Cinder and the API's own database (the test cloud's SQLite
file). Two leftovers are made by hand, as a killed agent or a failed
delete leaves them: an image labelled with a group snapshot that has no
row, and one labelled with a group snapshot that ended in error. Next to
them, a group snapshot taken through the API, available: its images
stay. The dry run looks at the whole cloud and deletes nothing; the run
that deletes is limited to these three group snapshots (--group-snapshot):
with a grace period of 0 it would otherwise delete every leftover of the
cloud, those of a run in progress in another database (the devstack
harness's) included.
"""

import subprocess

from oslo_utils import timeutils
from oslo_utils import uuidutils
import pytest
import sqlalchemy as sa

from consistent_snap.db import models
from tests.functional.conftest import images_of
from tests.functional.conftest import snapshot_once_free
from tests.functional.conftest import SNAPSHOTS
from tests.functional.conftest import wait_for_snapshot

LABEL = 'consistent_snap_group_snapshot_id'


@pytest.fixture
def gc_config(test_cloud):
    # The lines of ``extra`` land in [coordinator]. A grace period of 0:
    # the leftovers made here are old enough at once.
    return test_cloud.write_config(name='gc.conf',
                                   extra='gc_grace_period = 0\n')


def _gc(test_cloud, config, *args):
    result = subprocess.run(
        [str(test_cloud.BIN / 'consistent-snap-manage'), '--config-file',
         str(config), 'gc', *args],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _labelled_image(admin, snapshot_id, what):
    # Named as the agent names an artifact (nova.is_ours).
    return admin.image.create_image(
        name='cs-%s-%s' % (snapshot_id[:8], what), disk_format='raw',
        container_format='bare', data=b'\0' * 512, wait=True,
        **{LABEL: snapshot_id})


@pytest.fixture
def errored_row(test_cloud, tagged_app_group):
    """A group snapshot row that ended in error, in the API's database."""
    snapshot_id = uuidutils.generate_uuid()
    engine = sa.create_engine(test_cloud.config_connection())
    table = models.GroupSnapshot.__table__
    with engine.begin() as conn:
        conn.execute(sa.insert(table).values(
            id=snapshot_id, app_group_id=tagged_app_group['id'],
            project_id=tagged_app_group['project_id'], name='', description='',
            status='error', mode='barrier', consistent=True, quiesce=True,
            requested_by='test_gc', error='made by test_gc',
            created_at=timeutils.utcnow()))
    yield snapshot_id
    with engine.begin() as conn:
        conn.execute(sa.delete(table).where(table.c.id == snapshot_id))
    engine.dispose()


def test_gc_deletes_the_leftovers_and_keeps_an_available_snapshot(
        test_cloud, gc_config, admin, api_as, tagged_app_group,
        errored_row):
    api = api_as('minicloud-demo')
    response = snapshot_once_free(api, {
        'app_group': tagged_app_group['id'], 'mode': 'barrier'})
    assert response.status_code == 202, response.text
    available = response.json()['group_snapshot']['id']
    orphan = uuidutils.generate_uuid()  # No row anywhere.
    made = []
    try:
        snap = wait_for_snapshot(api, available)
        assert snap['status'] == 'available', snap['error']
        kept = [i.id for i in images_of(admin, available)]
        assert len(kept) == len(snap['members'])
        made += [_labelled_image(admin, orphan, 'gc-orphan'),
                 _labelled_image(admin, errored_row, 'gc-errored')]
        gone = [i.id for i in made]

        out = _gc(test_cloud, gc_config, '--dry-run')
        assert ('would delete image %s ' % gone[0]) in out, out
        assert ('group snapshot %s has no row in the database' % orphan
                in out), out
        assert ('would delete image %s ' % gone[1]) in out, out
        assert 'group snapshot %s is error' % errored_row in out, out
        for image_id in kept:
            assert image_id not in out, out
        assert '(dry run: nothing deleted)' in out, out
        for image_id in gone + kept:
            assert admin.image.get_image(image_id).status == 'active'

        out = _gc(test_cloud, gc_config, '--group-snapshot', orphan,
                  '--group-snapshot', errored_row, '--group-snapshot',
                  available)
        for image_id in gone:
            assert ('deleted image %s ' % image_id) in out, out
            assert admin.image.find_image(image_id,
                                          ignore_missing=True) is None
        assert ('%d labelled artifacts: %d kept, 0 spared, 2 garbage: '
                '2 deleted, 0 failed' % (len(kept) + 2, len(kept))) in out, out
        assert sorted(i.id for i in images_of(admin, available)) == sorted(
            kept)
        for image_id in kept:
            assert admin.image.get_image(image_id).status == 'active'
    finally:
        for image in made:
            admin.image.delete_image(image, ignore_missing=True)
        api('DELETE', '%s/%s' % (SNAPSHOTS, available))
