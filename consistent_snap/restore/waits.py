"""Waiting on what a restore made or changed, bounded by [restore]."""

from openstack import exceptions as sdk_exceptions

# Final for the step: a volume never leaves these without a person.
VOLUME_FAILURES = ['error', 'error_restoring', 'error_attaching']


def volume(conf, conn, volume_id, status):
    storage = conn.block_storage
    storage.wait_for_status(storage.get_volume(volume_id), status,
                            failures=VOLUME_FAILURES,
                            wait=conf.restore.volume_timeout)


def attached(conf, conn, volume_id, server_id):
    """In use by the server it was just attached to.

    Nova's attach reserves the volume before it answers, and puts back to
    available a volume it then fails to attach: that ends the wait.
    """
    storage = conn.block_storage
    try:
        storage.wait_for_status(storage.get_volume(volume_id), 'in-use',
                                failures=VOLUME_FAILURES + ['available'],
                                wait=conf.restore.volume_timeout)
    except sdk_exceptions.ResourceFailure:
        status = storage.get_volume(volume_id).status
        raise RuntimeError(
            'Nova could not attach volume %s to server %s (the volume is %s '
            'again): see the server\'s instance actions' % (
                volume_id, server_id, status)) from None


def server(conf, conn, server_id, status):
    conn.compute.wait_for_server(conn.compute.get_server(server_id),
                                 status=status, failures=['ERROR'],
                                 wait=conf.restore.server_timeout)


def volume_group(conf, conn, group_id):
    storage = conn.block_storage
    storage.wait_for_status(storage.get_group(group_id), 'available',
                            failures=['error'],
                            wait=conf.restore.volume_timeout)
