"""One exception tree.

Each class carries an actionable message and its HTTP code.
"""


class ConsistentSnapException(Exception):
    msg_fmt = 'An unknown error occurred.'
    code = 500

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        super().__init__(message or self.msg_fmt % kwargs)

    @property
    def message(self):
        return str(self)


class Invalid(ConsistentSnapException):
    msg_fmt = 'Invalid request: %(reason)s'
    code = 400


class InvalidBody(Invalid):
    msg_fmt = 'Invalid request body: %(reason)s'


class UnknownPhase(Invalid):
    msg_fmt = ("Host %(host)s knows no fence phase '%(phase)s': upgrade its "
               "consistent-snap-agent, or cap [upgrade_levels] agent on the "
               "coordinators.")


class UnknownDriver(Invalid):
    msg_fmt = ("Unknown %(kind)s driver '%(name)s'. Valid: %(valid)s.")


class ResolverNotEnabled(Invalid):
    msg_fmt = ("Source type '%(name)s' is not enabled on this cloud. "
               "Enabled: %(enabled)s.")


class Forbidden(ConsistentSnapException):
    msg_fmt = 'Policy does not allow %(action)s to be performed.'
    code = 403


class NotFound(ConsistentSnapException):
    msg_fmt = 'Resource could not be found.'
    code = 404


class AppGroupNotFound(NotFound):
    msg_fmt = 'App group %(id)s could not be found.'


class GroupSnapshotNotFound(NotFound):
    msg_fmt = 'Group snapshot %(id)s could not be found.'


class BackupPolicyNotFound(NotFound):
    msg_fmt = 'Backup policy %(id)s could not be found.'


class RestoreNotFound(NotFound):
    msg_fmt = 'Restore %(id)s could not be found.'


class StackNotFound(NotFound):
    msg_fmt = ("Heat stack '%(stack)s' could not be found in project "
               "%(project_id)s.")


class ServerGroupNotFound(NotFound):
    msg_fmt = ("Server group '%(group)s' could not be found in project "
               "%(project_id)s.")


class ServersNotFound(NotFound):
    msg_fmt = ('Server(s) %(servers)s could not be found in project '
               '%(project_id)s.')


class Conflict(ConsistentSnapException):
    msg_fmt = 'Conflict: %(reason)s'
    code = 409


class AppGroupNameExists(Conflict):
    msg_fmt = ("An app group named '%(name)s' already exists in project "
               "%(project_id)s; choose another name or update that group.")


class InvalidState(Conflict):
    msg_fmt = ("Group snapshot %(id)s is %(status)s: it cannot go to "
               "%(wanted)s.")


class NoHealthyMembers(Conflict):
    msg_fmt = ('app group %(name)s has no healthy server to capture: '
               '%(servers)s.')


class AppGroupBusy(Conflict):
    msg_fmt = ('app group %(name)s already has group snapshot %(id)s in '
               'progress (%(status)s): wait for it to end, then try again.')


class MembersMissing(Conflict):
    msg_fmt = ('app group %(name)s names server(s) %(servers)s that no '
               'longer exist in project %(project_id)s: remove them from '
               'the app group, then try again.')


class ServerBusy(Conflict):
    msg_fmt = ('server %(server)s is held by group snapshot %(snapshot)s, '
               'which %(doing)s: one snapshot at a time may freeze a '
               'server. Wait for that snapshot to end, then try again.')


class ProjectBusy(Conflict):
    msg_fmt = ('project %(project_id)s already has %(count)d group '
               'snapshots in progress, the most this cloud allows at once '
               '([coordinator] max_running_per_project): wait for one to '
               'end, then try again.')


class EmptyAppGroup(Conflict):
    msg_fmt = ('app group %(name)s has no servers: check its source with '
               '`openstack appgroup member list %(name)s`.')


class UnhealthyMembers(Conflict):
    msg_fmt = ('Server(s) %(servers)s cannot be captured: repair, start or '
               'unshelve them, or remove them from the app group, or skip '
               'them with skip_unhealthy (CLI: --skip-unhealthy).')


class AmbiguousSource(Conflict):
    msg_fmt = ("%(kind)s name '%(name)s' matches %(count)d %(kind)ss in "
               "project %(project_id)s; use its ID instead.")


class HooksNotPossible(Conflict):
    msg_fmt = ('Hooks cannot run in the guest of server %(server)s on host '
               '%(host)s: %(reason)s. Nothing was frozen.')


class MembersNotOnHost(Conflict):
    msg_fmt = ('Server(s) %(servers)s no longer run on host %(host)s '
               '(migrated?); resolve the app group again.')


class RestoreInvalidState(Conflict):
    msg_fmt = ("Restore %(id)s is %(status)s: it cannot go to %(wanted)s.")


class NotRestorable(Conflict):
    msg_fmt = ('Group snapshot %(id)s cannot be restored: %(reason)s')


class RestorePlanFailed(Conflict):
    msg_fmt = ('The restore plan found %(count)d problem(s): %(problems)s')


class AbortRefused(Conflict):
    msg_fmt = ('Group snapshot %(snapshot)s was finalized on host %(host)s: '
               'its artifacts are kept; delete the group snapshot to delete '
               'them.')


class CloudUnreachable(Conflict):
    msg_fmt = ('host %(host)s could not reach the cloud\'s APIs as the '
               'snapshot\'s requester (%(driver)s, through the request\'s '
               'trust): %(reason)s. Nothing was frozen; check Keystone and '
               'the agent\'s [service_credentials], then try again.')


class SnapshotUnknownOnHost(Conflict):
    msg_fmt = ('Group snapshot %(snapshot)s is unknown on host %(host)s '
               '(the agent restarted?); it must be taken again.')


class ServerFrozenByAnother(Conflict):
    msg_fmt = ('server %(server)s may still be frozen by group snapshot '
               '%(holder)s on this host, and one snapshot at a time may '
               'freeze a server: nothing was frozen for this one. Try again '
               'once that snapshot has ended.')


class SnapshotAborted(Conflict):
    msg_fmt = ('Group snapshot %(snapshot)s was aborted on host %(host)s at '
               '%(aborted_at)s; this %(phase)s came after it and was '
               'refused. Nothing was frozen or captured.')
