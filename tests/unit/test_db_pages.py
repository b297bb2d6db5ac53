"""Lists page by (created_at, id) after a marker: every row once, in order.

On a real SQLite file migrated to head; rows of one project made in the
same instant tie on created_at and are told apart by id.
"""

from oslo_utils import uuidutils
import pytest

from consistent_snap import context as cs_context
from consistent_snap import exception
from consistent_snap import states


@pytest.fixture
def project_ctx():
    project = 'p-' + uuidutils.generate_uuid()
    return cs_context.RequestContext(project_id=project, is_admin=False,
                                     overwrite=False), project


def _pages(list_rows, ctx, limit):
    seen, marker = [], None
    while True:
        page = list_rows(ctx, limit=limit, marker=marker)
        if not page:
            return seen
        seen += [row['id'] for row in page]
        marker = page[-1]['id']


def test_newest_first_pages_give_every_snapshot_once(db, project_ctx):
    ctx, project = project_ctx
    made = [db.group_snapshot_create(ctx, {
        'project_id': project, 'status': states.AVAILABLE,
        'mode': 'barrier', 'requested_by': 'u'})['id'] for _ in range(5)]
    whole = [s['id'] for s in db.group_snapshot_list(ctx)]
    assert sorted(whole) == sorted(made)
    assert _pages(db.group_snapshot_list, ctx, limit=2) == whole
    with pytest.raises(exception.GroupSnapshotNotFound):
        db.group_snapshot_list(ctx, marker=uuidutils.generate_uuid())


def test_oldest_first_pages_give_every_app_group_once(db, project_ctx):
    ctx, project = project_ctx
    made = [db.app_group_create(ctx, {
        'project_id': project, 'name': 'g%d' % n, 'source_type': 'servers',
        'source_ref': {'servers': []}})['id'] for n in range(5)]
    whole = [g['id'] for g in db.app_group_list(ctx)]
    assert sorted(whole) == sorted(made)
    assert _pages(db.app_group_list, ctx, limit=2) == whole
