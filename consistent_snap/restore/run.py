"""One restore, driven to a final state: all of it, or nothing.

The stages run in dependency order (server group, ports, volumes,
servers, attachments), each across all members at once, never one VM
after another. A verification (mode verify) first copies the networks,
last runs its checks (restore/checks.py), records its verdict, and is
deleted as soon as it ends, or once kept for a look.

Every resource created is written to the restore's ledger as soon as the
cloud gives its id, and carries the restore's id (metadata or
description), so a failure, or a coordinator killed mid-restore, is
followed by a clean-up that deletes it all, in reverse order.

A hand-written engine, not taskflow: a failed restore is never resumed,
only undone, and the ledger in our own database is all an undo needs;
taskflow's persistence would add a second schema and backend for it.
"""

import concurrent.futures
import datetime
import functools
import time

from openstack import exceptions as sdk_exceptions
from oslo_log import log as logging
from oslo_utils import timeutils

from consistent_snap import clients
from consistent_snap.db import api as db_api
from consistent_snap import exception
from consistent_snap.restore import checks
from consistent_snap.restore import in_place
from consistent_snap.restore import plan as restore_plan
from consistent_snap.restore import waits
from consistent_snap import states
from consistent_snap import trusts

LOG = logging.getLogger(__name__)
R = states.Restore
LABEL = restore_plan.LABEL
# Deleted in this order: what uses a resource goes before it.
# A group's volumes go with it: Cinder deletes no grouped volume alone.
DELETE_ORDER = ('app_group', 'server', 'volume_group', 'volume', 'port',
                'network', 'server_group')
NOTIFIED = ('id', 'group_snapshot_id', 'project_id', 'status', 'mode',
            'app_group_id', 'ready_s', 'verdict', 'error')


def notify(notifier, context, restore, event):
    """restore.create.start|end|error, for whoever watches the cloud."""
    if notifier is not None:
        notifier.info(context, 'restore.create.%s' % event,
                      {k: restore.get(k) for k in NOTIFIED})


def revoke_trust(conf, context, restore):
    """Revoke the trust its request delegated, once it is final.

    A backup policy's verification uses the policy's trust, kept.
    """
    if not restore.get('trust_id') or not trusts.delegated_per_request(
            restore['requested_by']):
        return
    trusts.revoke(
        conf, restore['trust_id'],
        lambda: db_api.restore_update(context, restore['id'],
                                      {'trust_id': None},
                                      expected=(restore['status'],)),
        'Restore %s' % restore['id'])


class StepFailed(Exception):
    def __init__(self, member, step, message):
        self.member, self.step = member, step
        name = member['name'] if member else 'the restore'
        super().__init__('%s of %s (from server %s) failed: %s' % (
            step, name, member['server_id'] if member else '-', message))


def _each(workers, members, work):
    """work(member) for every member at once; the first failure raises."""
    if not members:
        return
    with concurrent.futures.ThreadPoolExecutor(
            min(workers, len(members))) as pool:
        futures = [pool.submit(work, m) for m in members]
        errors = list(filter(None, (f.exception() for f in futures)))
    if errors:
        raise errors[0]


def _cloud_message(error):
    if isinstance(error, sdk_exceptions.HttpException):
        return error.details or str(error)
    return str(error)


class RestoreRun:
    """One restore's run; agents: the coordinator's AgentAPI.

    The agents run a verification's checks in the restored guests.
    """

    def __init__(self, conf, context, restore_id, notifier=None,
                 agents=None):
        self.conf = conf
        self.context = context
        self.notifier = notifier
        self.agents = agents
        self.id = restore_id
        self.restore = None
        self.admin = clients.service_connection(conf)
        self.started = time.time()
        self.evidence = {}

    # -- bookkeeping -------------------------------------------------------

    def _move(self, status, **values):
        """A compare and swap from the status this run last wrote."""
        self.restore = db_api.restore_update(
            self.context, self.id, dict(values, status=status),
            expected=(self.restore['status'],))

    def _created(self, kind, resource_id, member=None):
        db_api.restore_resource_add(self.context, self.id, kind,
                                    resource_id,
                                    member and member['server_id'])

    def _step(self, member, step, work):
        """Run one step of one member; its start and end are evidence."""
        record = {'step': step, 'started_at': time.time()}
        self.evidence.setdefault(member['server_id'], {
            'server_id': member['server_id'], 'name': member['name'],
            'steps': []})['steps'].append(record)
        try:
            return work()
        except StepFailed:
            raise
        except Exception as e:
            record['error'] = _cloud_message(e)
            raise StepFailed(member, step, _cloud_message(e))
        finally:
            record['ended_at'] = time.time()

    # -- the run -------------------------------------------------------------

    def run(self):
        self.restore = db_api.restore_get(self.context, self.id)
        try:
            if self.restore['status'] != R.PENDING:
                raise exception.RestoreInvalidState(
                    id=self.id, status=self.restore['status'],
                    wanted=R.RESTORING)
            self._move(R.RESTORING)
        except exception.RestoreInvalidState:
            LOG.info('Restore %s is already being driven', self.id)
            return
        notify(self.notifier, self.context, self.restore, 'start')
        try:
            snap = db_api.group_snapshot_get(
                self.context, self.restore['group_snapshot_id'])
            plan = restore_plan.Plan(
                self.admin, snap, self.restore['options'],
                self.restore['project_id'], self.id,
                mode=self.restore['mode']).make()
            if plan.problems:
                raise exception.RestorePlanFailed(
                    count=len(plan.problems), problems=plan.problem_text())
            self._move(R.RESTORING, plan=plan.view())
            if plan.mode == restore_plan.IN_PLACE:
                in_place.InPlace(
                    self.conf, self._user(),
                    functools.partial(_each, self.conf.restore.workers),
                    self._step).restore(plan.members)
            else:
                self._restore_new(plan)
            self._available(plan)
        except Exception as e:
            self._fail(e)
        revoke_trust(self.conf, self.context, self.restore)
        if self.restore['mode'] == restore_plan.VERIFY and (
                self.restore['status'] == R.AVAILABLE and
                not self.restore['keep_until']):
            discard(self.conf, self.context, self.restore)

    def _available(self, plan):
        values = {}
        ready_s = time.time() - self._requested_at()
        if plan.mode == restore_plan.VERIFY:
            levels = {m['server_id']: m['consistency']
                      for m in plan.snap['members']}
            failures = checks.Checks(
                self.context, self.admin, self.agents,
                self.restore['options'].get('checks')).run(
                    self._user(), plan.members, self.evidence, levels)
            values.update(
                error='; '.join(failures) or None,
                verdict=(states.Verdict.FAILED if failures else
                         states.Verdict.PASSED))
            keep_for_s = self.restore['options'].get('keep_for_s')
            if keep_for_s:
                values['keep_until'] = timeutils.utcnow() + (
                    datetime.timedelta(seconds=keep_for_s))
            # To every check passed; a failed one proves nothing ready.
            ready_s = None if failures else time.time() - (
                self._requested_at())
        # The evidence once the checks added theirs.
        self._move(R.AVAILABLE, ready_s=ready_s, members=self._evidence(),
                   **values)
        LOG.info('Restore %s available: %d servers%s%s', self.id,
                 len(plan.members), ' in %.1f s' % ready_s if ready_s else '',
                 ', verification %s' % values['verdict'] if
                 'verdict' in values else '')
        notify(self.notifier, self.context, self.restore, 'end')

    def _requested_at(self):
        created = self.restore['created_at']
        return created.replace(tzinfo=datetime.timezone.utc).timestamp()

    def _evidence(self):
        members = list(self.evidence.values())
        last = 'start' if self.restore['mode'] == restore_plan.IN_PLACE else (
            'server')
        for member in members:
            active = [s for s in member['steps'] if s['step'] == last]
            if active and 'ended_at' in active[0]:
                member['active_s'] = (active[0]['ended_at'] -
                                      self._requested_at())
        return members

    def _fail(self, error):
        """Undo, then say so.

        Under the run's lock nobody else acts on it, and error means
        nothing of it is left (or names what is).
        """
        message = str(error)
        if not isinstance(error, (exception.ConsistentSnapException,
                                  StepFailed, in_place.InPlaceFailed)):
            LOG.error('Restore %s: unexpected error', self.id, exc_info=error)
        LOG.error('Restore %s failed: %s', self.id, message)
        left = undo(self.conf, self.context, self.id)
        if left:
            message += '; could not delete %s' % '; '.join(left)
        verdict = (states.Verdict.FAILED if self.restore['mode'] ==
                   restore_plan.VERIFY else None)
        self._move(R.ERROR, error=message, members=self._evidence(),
                   verdict=verdict)
        notify(self.notifier, self.context, self.restore, 'error')

    def _user(self):
        """The requester's connection: what is made is the project's."""
        trust_id = self.restore['trust_id']
        return trusts.connection(self.conf, trust_id) if trust_id else (
            self.admin)

    # -- the stages ------------------------------------------------------

    def _volume_groups(self, conn, plan):
        """A new Cinder group for each that comes back as a group.

        Returns {Cinder group snapshot id: the new group's id}. Not Cinder's
        create-from-src: the volumes it makes get no service (Cinder's
        create_group_from_src skips what a volume create sets), which
        os-brick needs to attach them where iSCSI cannot scan manually.
        """
        made = {}
        for group_snapshot_id, group in plan.volume_groups.items():
            try:
                created = conn.block_storage.create_group(
                    name=group['name'], group_type=group['group_type'],
                    volume_types=group['volume_types'],
                    description='%s=%s' % (LABEL, self.id))
                self._created('volume_group', created.id)
                waits.volume_group(self.conf, conn, created.id)
            except Exception as e:
                raise StepFailed(None, 'volume group %s' % group['name'],
                                 _cloud_message(e))
            made[group_snapshot_id] = created.id
        return made

    def _networks(self, conn, plan):
        """Isolated copies of the networks: {original id: copy's id}.

        Same CIDRs, gateway address and pools, on no router: the recorded
        addresses are valid there and nothing routes to production.
        """
        made = {}
        for network_id, network in plan.networks.items():
            try:
                created = conn.network.create_network(
                    name=network['name'],
                    description='%s=%s' % (LABEL, self.id))
                self._created('network', created.id)
                for subnet in network['subnets']:
                    conn.network.create_subnet(network_id=created.id,
                                               **subnet)
            except Exception as e:
                raise StepFailed(None, 'network %s' % network['name'],
                                 _cloud_message(e))
            made[network_id] = created.id
        return made

    def _restore_new(self, plan):
        conn = self._user()
        workers = self.conf.restore.workers
        label = {LABEL: self.id}
        copies = self._networks(conn, plan)
        new_groups = {}
        for old_id, group in plan.server_groups.items():
            made = conn.compute.create_server_group(name=group['name'],
                                                    policy=group['policy'])
            self._created('server_group', made.id)
            new_groups[old_id] = made.id
        keep_ips = plan.keep_ips

        def ports(member):
            member['port_ids'] = []
            for port in member['ports']:
                values = {'network_id': copies.get(port['network_id'],
                                                   port['network_id']),
                          'name': '%s-port' % member['name'],
                          'description': '%s=%s' % (LABEL, self.id)}
                if keep_ips:
                    # By address alone: Neutron finds its subnet, which on
                    # a mapped copy of the network has another id.
                    values.update(fixed_ips=[
                        {'ip_address': f['ip_address']}
                        for f in port['fixed_ips']],
                        mac_address=port['mac_address'])
                if port.get('port_security_enabled') is not None:
                    values['port_security_enabled'] = port[
                        'port_security_enabled']
                if port.get('port_security_enabled') is not False and (
                        port.get('security_group_ids')):
                    values['security_group_ids'] = port['security_group_ids']
                created = conn.network.create_port(**values)
                self._created('port', created.id, member)
                member['port_ids'].append(created.id)
        _each(workers, plan.members,
              lambda m: self._step(m, 'ports', lambda: ports(m)))

        new_volume_groups = self._volume_groups(conn, plan)

        def volumes(member):
            for volume in member['volumes']:
                grouped = volume.get('volume_group')
                created = conn.block_storage.create_volume(
                    size=volume['size'], snapshot_id=volume['snapshot_id'],
                    volume_type=volume['volume_type'],
                    name='%s-%s' % (member['name'], volume['id'][:8]),
                    metadata=label, **({
                        'group_id': new_volume_groups[grouped]}
                        if grouped else {}))
                self._created('volume', created.id, member)
                volume['new_id'] = created.id
            for volume in member['volumes']:
                waits.volume(self.conf, conn, volume['new_id'], 'available')
        _each(workers, plan.members,
              lambda m: self._step(m, 'volumes', lambda: volumes(m)))

        def server(member):
            manifest = member['manifest']
            values = {
                'name': member['name'], 'flavor_id': member['flavor'],
                'metadata': dict(manifest['metadata'], **label),
                'networks': ([{'port': p} for p in member['port_ids']]
                             or 'none'),
            }
            if member['availability_zone']:
                values['availability_zone'] = member['availability_zone']
            if manifest['key_name']:
                values['key_name'] = manifest['key_name']
            if manifest['tags']:
                values['tags'] = manifest['tags']
            if manifest['server_group']:
                values['scheduler_hints'] = {
                    'group': new_groups[manifest['server_group']['id']]}
            boot = [v for v in member['volumes'] if v['boot_index'] == 0]
            if boot:
                values['block_device_mapping'] = [{
                    'boot_index': 0, 'uuid': boot[0]['new_id'],
                    'source_type': 'volume', 'destination_type': 'volume',
                    'delete_on_termination': False}]
            else:
                values['image_id'] = member['image_id']
            created = conn.compute.create_server(**values)
            self._created('server', created.id, member)
            member['new_server_id'] = created.id
            self.evidence.setdefault(member['server_id'], {
                'server_id': member['server_id'], 'name': member['name'],
                'steps': []})['new_server_id'] = created.id
            try:
                waits.server(self.conf, conn, created.id, 'ACTIVE')
            except sdk_exceptions.ResourceFailure:
                # Nova's own reason, e.g. "No valid host was found.".
                fault = conn.compute.get_server(created.id).fault or {}
                raise RuntimeError('server %s went to ERROR: %s' % (
                    created.id, fault.get('message') or 'no fault recorded'))
        _each(workers, plan.members,
              lambda m: self._step(m, 'server', lambda: server(m)))

        def attach(member):
            # One after the other within a member: their recorded order.
            for volume in member['volumes']:
                if volume['boot_index'] == 0:
                    continue
                conn.compute.create_volume_attachment(
                    member['new_server_id'], volume_id=volume['new_id'])
                waits.attached(self.conf, conn, volume['new_id'],
                               member['new_server_id'])
        _each(workers, plan.members,
              lambda m: self._step(m, 'attachments', lambda: attach(m)))
        name = self.restore['options'].get('as_app_group')
        if name:
            group = db_api.app_group_create(self.context, {
                'project_id': self.restore['project_id'], 'name': name,
                'description': 'Restored from group snapshot %s by restore '
                               '%s' % (plan.snap['id'], self.id),
                'source_type': 'servers', 'source_ref': {'servers': [
                    m['new_server_id'] for m in plan.members]},
                'default_mode': plan.snap['mode'],
                'quiesce': plan.snap['quiesce'],
                'consistent': plan.snap['consistent'],
                'include_volumes': plan.snap['include_volumes']})
            self._created('app_group', group['id'])
            self._move(R.RESTORING, app_group_id=group['id'])


def undo(conf, context, restore_id):
    """Delete what the restore created, newest kind first; the failures.

    Only what its ledger names, plus what carries its label in the
    project (created by a coordinator that died before writing it down).
    """
    admin = clients.service_connection(conf)
    restore = db_api.restore_get(context, restore_id)
    ledger = [r for r in restore['resources'] if not r['deleted']]
    recorded = {r['resource_id'] for r in ledger}
    ledger += [{'type': kind, 'resource_id': found}
               for kind, found in _labelled(admin, restore)
               if found not in recorded]
    failed = []
    for kind in DELETE_ORDER:
        gone = []
        for resource in [r for r in ledger if r['type'] == kind]:
            try:
                _DELETE[kind](conf, admin, context, resource['resource_id'])
                gone.append(resource['resource_id'])
            except Exception as e:
                failed.append('%s %s: %s' % (kind, resource['resource_id'],
                                             _cloud_message(e)))
        for resource_id in gone:
            _wait_gone(conf, admin, kind, resource_id, failed)
            db_api.restore_resource_deleted(context, restore_id, kind,
                                            resource_id)
    return failed


def _labelled(admin, restore):
    """(kind, id) of what carries the restore's label in its project.

    A coordinator killed between the cloud's answer and its ledger write
    leaves such a resource unrecorded. Server groups carry no label: those
    named as its plan says are the restore's, since the plan refuses a
    name already taken in the project.
    """
    project, label = restore['project_id'], restore['id']
    for server in admin.compute.servers(all_projects=True,
                                        project_id=project):
        if (server.metadata or {}).get(LABEL) == label:
            yield 'server', server.id
    for volume in admin.block_storage.volumes(all_projects=True,
                                              project_id=project):
        if (volume.metadata or {}).get(LABEL) == label and (
                not volume.group_id):
            yield 'volume', volume.id
    description = '%s=%s' % (LABEL, label)
    # Groups show no project before volume API 3.58: the label is unique.
    for group in admin.block_storage.groups(all_projects=True):
        if group.description == description:
            yield 'volume_group', group.id
    for port in admin.network.ports(project_id=project,
                                    description=description):
        if port.description == description:
            yield 'port', port.id
    for network in admin.network.networks(project_id=project,
                                          description=description):
        if network.description == description:
            yield 'network', network.id
    group_names = (restore.get('plan') or {}).get('server_groups')
    if group_names:
        for group in admin.compute.server_groups(all_projects=True):
            if group.project_id == project and group.name in group_names:
                yield 'server_group', group.id


def _wait_gone(conf, admin, kind, resource_id, failed):
    getter = {'server': admin.compute.get_server,
              'volume_group': admin.block_storage.get_group,
              'volume': admin.block_storage.get_volume}.get(kind)
    if getter is None:
        return
    deadline = time.time() + conf.restore.delete_timeout
    while time.time() < deadline:
        try:
            getter(resource_id)
        except sdk_exceptions.NotFoundException:
            return
        time.sleep(0.5)
    failed.append('%s %s: still there after %.0f s' % (
        kind, resource_id, conf.restore.delete_timeout))


def _delete_app_group(conf, admin, context, group_id):
    try:
        db_api.app_group_delete(context, group_id)
    except exception.AppGroupNotFound:
        pass


def _delete_volume(conf, admin, context, volume_id):
    volume = admin.block_storage.find_volume(volume_id, ignore_missing=True,
                                             all_projects=True)
    if volume is None:
        return
    _detach(conf, admin, volume)
    admin.block_storage.delete_volume(volume_id, ignore_missing=True,
                                      force=volume.status not in (
                                          'available', 'error', 'in-use'))


def _detach(conf, admin, volume):
    """Cinder deletes no attached volume, alone or in its group."""
    if volume.status != 'in-use':
        return
    for attachment in volume.attachments or ():
        admin.compute.delete_volume_attachment(
            attachment['server_id'], volume.id, ignore_missing=True)
    waits.volume(conf, admin, volume.id, 'available')


def _delete_volume_group(conf, admin, context, group_id):
    try:
        group = admin.block_storage.get_group(group_id, list_volume=True)
    except sdk_exceptions.NotFoundException:
        return
    for volume_id in group.volumes or ():
        _detach(conf, admin, admin.block_storage.get_volume(volume_id))
    admin.block_storage.delete_group(group_id, delete_volumes=True)


_DELETE = {
    'app_group': _delete_app_group,
    'volume_group': _delete_volume_group,
    'server': lambda conf, admin, ctx, i: admin.compute.delete_server(
        i, ignore_missing=True),
    'volume': _delete_volume,
    'port': lambda conf, admin, ctx, i: admin.network.delete_port(
        i, ignore_missing=True),
    # Its subnets go with it.
    'network': lambda conf, admin, ctx, i: admin.network.delete_network(
        i, ignore_missing=True),
    'server_group': lambda conf, admin, ctx, i: (
        admin.compute.delete_server_group(i, ignore_missing=True)),
}


def delete(conf, context, restore_id):
    """Delete a restore moved to deleting, and everything it created."""
    restore = db_api.restore_get(context, restore_id)
    if restore['status'] != R.DELETING:
        LOG.warning('Restore %s is %s, not deleting: left alone',
                    restore_id, restore['status'])
        return
    failed = undo(conf, context, restore_id)
    if failed:
        db_api.restore_update(context, restore_id, {
            'status': R.ERROR, 'error': 'delete failed: ' +
            '; '.join(failed)}, expected=(R.DELETING,))
        return
    db_api.restore_update(context, restore_id, {'status': R.DELETED},
                          expected=(R.DELETING,))
    LOG.info('Restore %s deleted with everything it created', restore_id)


def discard(conf, context, restore):
    """Delete an available verification, which has its verdict.

    With all it made; unless a person, or the sweep, began to meanwhile.
    """
    try:
        db_api.restore_update(context, restore['id'],
                              {'status': R.DELETING}, expected=(R.AVAILABLE,))
    except exception.RestoreInvalidState:
        return
    delete(conf, context, restore['id'])


def reap(conf, context, restore, notifier=None):
    """A restore whose coordinator is gone: fail it, undo what it made."""
    message = ('interrupted while %s: the coordinator driving it stopped; '
               'everything it created was deleted' % restore['status'])
    verdict = (states.Verdict.FAILED if restore['mode'] ==
               restore_plan.VERIFY else None)
    try:
        db_api.restore_update(context, restore['id'], {
            'status': R.ERROR, 'error': message, 'verdict': verdict},
            expected=(restore['status'],))
    except exception.RestoreInvalidState:
        return
    failed = undo(conf, context, restore['id'])
    if failed:
        message += '; could not delete %s' % '; '.join(failed)
        db_api.restore_update(context, restore['id'], {'error': message},
                              expected=(R.ERROR,))
    LOG.warning('Restore %s %s', restore['id'], message)
    restore = dict(restore, status=R.ERROR, error=message, verdict=verdict)
    notify(notifier, context, restore, 'error')
    revoke_trust(conf, context, restore)
