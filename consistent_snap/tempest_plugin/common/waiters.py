"""Status polls bounded by the clients' build_timeout."""

import time

from tempest.lib import exceptions as lib_exc

SNAPSHOT_FINAL = ('available', 'error', 'deleted')


class StatusError(lib_exc.TempestException):
    message = '%(what)s failed: %(reason)s'


def _poll(client, what, fetch, done, failed):
    """Call fetch() until done(item); raise if failed(item) or on timeout."""
    start = time.monotonic()
    while True:
        item = fetch()
        if done(item):
            return item
        reason = failed(item)
        if reason:
            raise StatusError(what=what, reason=reason)
        if time.monotonic() - start >= client.build_timeout:
            raise lib_exc.TimeoutException(
                '%s did not finish within %s s; last seen: %s' %
                (what, client.build_timeout, item))
        time.sleep(client.build_interval)


def wait_for_group_snapshot_status(client, group_snapshot_id, status):
    """Wait until the group snapshot is ``status``; fail on another end."""
    def failed(snap):
        if snap['status'] in SNAPSHOT_FINAL:
            return 'ended %s: %s' % (snap['status'], snap.get('error'))

    return _poll(
        client, 'Group snapshot %s' % group_snapshot_id,
        lambda: client.show_group_snapshot(
            group_snapshot_id)['group_snapshot'],
        lambda snap: snap['status'] == status, failed)


def wait_for_group_snapshot_end(client, group_snapshot_id):
    """Wait until the group snapshot is in a final status, whichever."""
    return _poll(
        client, 'Group snapshot %s' % group_snapshot_id,
        lambda: client.show_group_snapshot(
            group_snapshot_id)['group_snapshot'],
        lambda snap: snap['status'] in SNAPSHOT_FINAL, lambda snap: None)


RESTORE_FINAL = ('available', 'error', 'deleted')


def wait_for_restore_status(client, restore_id, status):
    """Wait until the restore is ``status``; fail on another end."""
    def failed(restore):
        if restore['status'] in RESTORE_FINAL:
            return 'ended %s: %s' % (restore['status'], restore.get('error'))

    return _poll(
        client, 'Restore %s' % restore_id,
        lambda: client.show_restore(restore_id)['restore'],
        lambda restore: restore['status'] == status, failed)


def wait_for_stack_status(client, name, stack_id, status):
    """Wait until the Heat stack is ``status``; fail on *_FAILED."""
    def failed(stack):
        if stack['stack_status'].endswith('_FAILED'):
            return '%s: %s' % (stack['stack_status'],
                               stack.get('stack_status_reason'))

    return _poll(
        client, 'Stack %s' % name,
        lambda: client.show_stack(name, stack_id)['stack'],
        lambda stack: stack['stack_status'] == status, failed)
