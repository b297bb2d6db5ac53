import oslo_messaging as messaging

from consistent_snap import rpc


class CoordinatorAPI:
    """Client side of the coordinator RPC API.

    API version history:

        1.0 - ping, create_group_snapshot, delete_group_snapshot
        1.1 - fence_report
        1.2 - create_restore, delete_restore
    """

    RPC_API_VERSION = '1.2'

    def __init__(self, timeout=None):
        target = messaging.Target(topic=rpc.COORDINATOR_TOPIC, version='1.0')
        self.client = rpc.get_client(target,
                                     version_cap=self.RPC_API_VERSION,
                                     timeout=timeout)

    def ping(self, context):
        return self.client.call(context, 'ping')

    def create_group_snapshot(self, context, snapshot_id):
        # A cast: the API answers 202 at once; the row is already pending.
        self.client.cast(context, 'create_group_snapshot',
                         snapshot_id=snapshot_id)

    def delete_group_snapshot(self, context, snapshot_id):
        self.client.cast(context, 'delete_group_snapshot',
                         snapshot_id=snapshot_id)

    def fence_report(self, context, coordinator, snapshot_id, phase, host,
                     report):
        """A host's answer to a broadcast phase, to the one who sent it.

        On the reports topic (coordinators from this release on listen
        there too): upgrade the coordinators before the agents.
        """
        self.client.prepare(server=coordinator, version='1.1',
                            topic=rpc.REPORTS_TOPIC).cast(
            context, 'fence_report', snapshot_id=snapshot_id, phase=phase,
            host=host, report=report)

    def create_restore(self, context, restore_id):
        self.client.prepare(version='1.2').cast(
            context, 'create_restore', restore_id=restore_id)

    def delete_restore(self, context, restore_id):
        self.client.prepare(version='1.2').cast(
            context, 'delete_restore', restore_id=restore_id)
