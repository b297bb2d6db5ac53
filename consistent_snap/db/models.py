"""The tables of the service (see the design, section 4)."""

from oslo_db.sqlalchemy import models
from oslo_utils import timeutils
import sqlalchemy as sa
from sqlalchemy import orm


class Base(orm.DeclarativeBase, models.ModelBase):
    created_at = sa.Column(sa.DateTime, nullable=False,
                           default=timeutils.utcnow)
    updated_at = sa.Column(sa.DateTime, onupdate=timeutils.utcnow)


class AppGroup(Base):
    __tablename__ = 'app_groups'
    __table_args__ = (
        sa.UniqueConstraint('project_id', 'name',
                            name='uniq_app_groups0project_id0name'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    project_id = sa.Column(sa.String(255), nullable=False, index=True)
    name = sa.Column(sa.String(255), nullable=False)
    description = sa.Column(sa.String(1024), nullable=False, default='')
    source_type = sa.Column(sa.String(32), nullable=False)
    source_ref = sa.Column(sa.JSON, nullable=False)
    include_volumes = sa.Column(sa.Boolean, nullable=False, default=True)
    default_mode = sa.Column(sa.String(32), nullable=False,
                             default='barrier')
    quiesce = sa.Column(sa.Boolean, nullable=False, default=True)
    consistent = sa.Column(sa.Boolean, nullable=False, default=True)
    # What each verification of its snapshots checks in the guests.
    checks = sa.Column(sa.JSON, nullable=True)
    # Run in the guests around each snapshot's freeze (api/schemas/hooks).
    hooks = sa.Column(sa.JSON, nullable=True)


class GroupSnapshot(Base):
    __tablename__ = 'group_snapshots'

    id = sa.Column(sa.String(36), primary_key=True)
    app_group_id = sa.Column(sa.String(36),
                             sa.ForeignKey('app_groups.id',
                                           ondelete='SET NULL'),
                             nullable=True, index=True)
    project_id = sa.Column(sa.String(255), nullable=False, index=True)
    name = sa.Column(sa.String(255), nullable=False, default='')
    description = sa.Column(sa.String(1024), nullable=False, default='')
    status = sa.Column(sa.String(32), nullable=False, index=True)
    mode = sa.Column(sa.String(32), nullable=False)
    consistent = sa.Column(sa.Boolean, nullable=False, default=True)
    quiesce = sa.Column(sa.Boolean, nullable=False, default=True)
    # Fail rather than capture any member without a guest freeze.
    require_quiesce = sa.Column(sa.Boolean, nullable=False, default=False)
    include_volumes = sa.Column(sa.Boolean, nullable=False, default=True)
    skip_unhealthy = sa.Column(sa.Boolean, nullable=False, default=False)
    # A VM-level request (no app group): the server ids asked for.
    servers = sa.Column(sa.JSON, nullable=True)
    # The hooks it runs: its request's, else its app group's.
    hooks = sa.Column(sa.JSON, nullable=True)
    fence_at = sa.Column(sa.Double, nullable=True)
    deadline_at = sa.Column(sa.Double, nullable=True)
    # The spread of the capture calls: a detail, not the cut's bound.
    skew_ms = sa.Column(sa.Double, nullable=True)
    # What the cut guarantees: the points in time fixed within this of
    # each other; or, frozen_together, all while every member was frozen.
    skew_bound_ms = sa.Column(sa.Double, nullable=True)
    frozen_together = sa.Column(sa.Boolean, nullable=True)
    uncertainty_ms = sa.Column(sa.Double, nullable=True)
    max_freeze_ms = sa.Column(sa.Double, nullable=True)
    # From the first pre-freeze hook's start to the last post-thaw hook's
    # end: how long the hooks held the application; null without hooks.
    hooks_window_ms = sa.Column(sa.Double, nullable=True)
    consistency = sa.Column(sa.String(32), nullable=True)
    requested_by = sa.Column(sa.String(255), nullable=False)
    # The requester's trust to the service user: artifacts are theirs.
    trust_id = sa.Column(sa.String(64), nullable=True)
    error = sa.Column(sa.Text, nullable=True)

    members = orm.relationship('MemberSnapshot', lazy='selectin',
                               cascade='all, delete-orphan',
                               back_populates='group_snapshot')


class MemberSnapshot(Base):
    __tablename__ = 'member_snapshots'

    id = sa.Column(sa.String(36), primary_key=True)
    group_snapshot_id = sa.Column(sa.String(36),
                                  sa.ForeignKey('group_snapshots.id',
                                                ondelete='CASCADE'),
                                  nullable=False, index=True)
    server_id = sa.Column(sa.String(36), nullable=False)
    server_name = sa.Column(sa.String(255), nullable=True)
    server_status = sa.Column(sa.String(32), nullable=True)
    host = sa.Column(sa.String(255), nullable=False)
    host_id = sa.Column(sa.String(255), nullable=True)
    status = sa.Column(sa.String(32), nullable=False)
    consistency = sa.Column(sa.String(32), nullable=True)
    consistency_reason = sa.Column(sa.Text, nullable=True)
    # What the capture made: [{"type": "image"|"volume_snapshot", "id",
    # "status", "volume_id"}]; deleted with the group snapshot.
    artifacts = sa.Column(sa.JSON, nullable=True)
    # Each of its hooks that ran: what, when, exit, output, passed.
    hook_results = sa.Column(sa.JSON, nullable=True)
    # Instants on the coordinator's clock (epoch seconds), agent offsets
    # already applied. fixed_at: when the service showed the point fixed.
    received_at = sa.Column(sa.Double, nullable=True)
    started_at = sa.Column(sa.Double, nullable=True)
    frozen_at = sa.Column(sa.Double, nullable=True)
    captured_at = sa.Column(sa.Double, nullable=True)
    fixed_at = sa.Column(sa.Double, nullable=True)
    thawed_at = sa.Column(sa.Double, nullable=True)
    error = sa.Column(sa.Text, nullable=True)
    # The server as it was, to rebuild it (consistent_snap/manifest.py);
    # null for snapshots taken before manifests were recorded.
    manifest = sa.Column(sa.JSON, nullable=True)

    group_snapshot = orm.relationship('GroupSnapshot',
                                      back_populates='members')


class ServerReservation(Base):
    """A server held by the one snapshot that may freeze it now.

    The primary key is the reservation: a second snapshot of the server
    (another app group sharing it, a VM-level request, a policy) cannot
    insert its row until the first one ends, so one snapshot's thaw never
    releases another's freeze.
    """
    __tablename__ = 'server_reservations'

    server_id = sa.Column(sa.String(36), primary_key=True)
    group_snapshot_id = sa.Column(sa.String(36),
                                  sa.ForeignKey('group_snapshots.id',
                                                ondelete='CASCADE'),
                                  nullable=False, index=True)


class BackupPolicy(Base):
    __tablename__ = 'backup_policies'

    id = sa.Column(sa.String(36), primary_key=True)
    # SET NULL, not CASCADE: a policy whose app group is deleted stays, to
    # say why its backups stopped, rather than vanish without a trace.
    app_group_id = sa.Column(sa.String(36),
                             sa.ForeignKey('app_groups.id',
                                           ondelete='SET NULL'),
                             nullable=True, index=True)
    project_id = sa.Column(sa.String(255), nullable=False, index=True)
    name = sa.Column(sa.String(255), nullable=False, default='')
    description = sa.Column(sa.String(1024), nullable=False, default='')
    cron = sa.Column(sa.String(255), nullable=False)
    timezone = sa.Column(sa.String(64), nullable=False, default='UTC')
    keep_last = sa.Column(sa.Integer, nullable=True)
    # Verify a new snapshot when none of the newest verify_every has been
    # (1: each one); null: never. Retention keeps the newest verified one.
    verify_every = sa.Column(sa.Integer, nullable=True)
    max_age_s = sa.Column(sa.Integer, nullable=True)
    # Null: the app group's preset at each run, as a snapshot request.
    mode = sa.Column(sa.String(32), nullable=True)
    quiesce = sa.Column(sa.Boolean, nullable=True)
    consistent = sa.Column(sa.Boolean, nullable=True)
    include_volumes = sa.Column(sa.Boolean, nullable=True)
    enabled = sa.Column(sa.Boolean, nullable=False, default=True)
    # UTC; null while disabled. The scheduler's claim compares and swaps it.
    next_run_at = sa.Column(sa.DateTime, nullable=True, index=True)
    last_run_at = sa.Column(sa.DateTime, nullable=True)
    last_snapshot_id = sa.Column(sa.String(36), nullable=True)
    # Null while the last snapshot runs; then e.g. 'available: snapshot ...'.
    last_result = sa.Column(sa.Text, nullable=True)
    # The creator's trust to the service user: scheduled artifacts are
    # theirs, as a requested snapshot's are.
    trust_id = sa.Column(sa.String(64), nullable=True)
    created_by = sa.Column(sa.String(255), nullable=True)


class Restore(Base):
    """A group snapshot brought back as a set (see restore/)."""

    __tablename__ = 'restores'

    id = sa.Column(sa.String(36), primary_key=True)
    # SET NULL: a restore outlives the snapshot it came from.
    group_snapshot_id = sa.Column(sa.String(36),
                                  sa.ForeignKey('group_snapshots.id',
                                                ondelete='SET NULL'),
                                  nullable=True, index=True)
    project_id = sa.Column(sa.String(255), nullable=False, index=True)
    status = sa.Column(sa.String(32), nullable=False, index=True)
    mode = sa.Column(sa.String(32), nullable=False)
    # What was asked: members, maps, keep_ips, name_suffix, as_app_group.
    options = sa.Column(sa.JSON, nullable=False)
    # The plan's steps and problems, as the API shows them.
    plan = sa.Column(sa.JSON, nullable=True)
    # Per member: its new server and each step's start and end.
    members = sa.Column(sa.JSON, nullable=True)
    # Request to every member ACTIVE (a verification: to every check
    # passed): the measured recovery time.
    ready_s = sa.Column(sa.Double, nullable=True)
    # A verification's: passed or failed once its checks ran.
    verdict = sa.Column(sa.String(16), nullable=True)
    # A verification kept for a look: deleted after this (UTC).
    keep_until = sa.Column(sa.DateTime, nullable=True)
    app_group_id = sa.Column(sa.String(36), nullable=True)
    requested_by = sa.Column(sa.String(255), nullable=False)
    trust_id = sa.Column(sa.String(64), nullable=True)
    error = sa.Column(sa.Text, nullable=True)

    resources = orm.relationship('RestoreResource', lazy='selectin',
                                 cascade='all, delete-orphan',
                                 order_by='RestoreResource.seq')


class RestoreResource(Base):
    """One cloud resource a restore created: deleted with it, or on failure.

    Written before the create call returns its id is used anywhere else,
    so a coordinator that dies mid-restore leaves a ledger to clean up by.
    """

    __tablename__ = 'restore_resources'

    seq = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    restore_id = sa.Column(sa.String(36),
                           sa.ForeignKey('restores.id', ondelete='CASCADE'),
                           nullable=False, index=True)
    # network, server_group, port, volume_group, volume, server, app_group.
    type = sa.Column(sa.String(32), nullable=False)
    resource_id = sa.Column(sa.String(64), nullable=False)
    server_id = sa.Column(sa.String(36), nullable=True)
    deleted = sa.Column(sa.Boolean, nullable=False, default=False)
