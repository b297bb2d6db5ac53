"""Waiting on what a restore made or changed, bounded by [restore]."""

# Final for the step: a volume never leaves these without a person.
VOLUME_FAILURES = ['error', 'error_restoring', 'error_attaching']


def volume(conf, conn, volume_id, status):
    storage = conn.block_storage
    storage.wait_for_status(storage.get_volume(volume_id), status,
                            failures=VOLUME_FAILURES,
                            wait=conf.restore.volume_timeout)


def server(conf, conn, server_id, status):
    conn.compute.wait_for_server(conn.compute.get_server(server_id),
                                 status=status, failures=['ERROR'],
                                 wait=conf.restore.server_timeout)
