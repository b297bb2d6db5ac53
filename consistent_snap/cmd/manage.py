"""consistent-snap-manage: database schema, garbage collection."""

import sys

from oslo_config import cfg
from oslo_log import log as logging

from consistent_snap import conf as cs_conf
from consistent_snap import context as cs_context
from consistent_snap.coordinator import gc
from consistent_snap.db import api as db_api
from consistent_snap.db import migration


def _sync(conf):
    migration.upgrade(conf.command.revision)
    print('Database is at revision %s' % migration.version())


def _version(conf):
    print(migration.version() or 'None (empty database: run db sync)')


def _gc(conf):
    """One line per labelled artifact not kept, then a summary.

    Exit status 1 if a delete failed or a service could not be listed.
    """
    context = cs_context.RequestContext(is_admin=True, overwrite=False)
    result = gc.collect(conf, context, dry_run=conf.command.dry_run,
                        snapshot_ids=conf.command.group_snapshots)
    for verdict in result.verdicts:
        if verdict.action != gc.KEEP:
            print(verdict.line(result.dry_run))
    for error in result.errors:
        print('could not list %s' % error)
    print(result.summary())
    return 1 if result.failed or result.errors else 0


def _add_gc_command(subparsers):
    collect = subparsers.add_parser(
        'gc', help='Delete the labelled images and volume snapshots whose '
                   'group snapshot has no row or ended in error, aborted '
                   'or deleted, longer than [coordinator] gc_grace_period '
                   'ago')
    collect.add_argument('--dry-run', action='store_true',
                         help='Only print what would be deleted')
    collect.add_argument('--group-snapshot', dest='group_snapshots',
                         action='append', metavar='ID',
                         help='Only the artifacts labelled with this group '
                              'snapshot (repeatable)')
    collect.set_defaults(func=_gc)


def _add_commands(subparsers):
    _add_db_commands(subparsers)
    _add_gc_command(subparsers)


def _add_db_commands(subparsers):
    db = subparsers.add_parser('db', help='Database schema commands')
    db_commands = db.add_subparsers(dest='db_command', required=True)
    sync = db_commands.add_parser('sync', help='Upgrade the schema')
    sync.add_argument('revision', nargs='?', default='head')
    sync.set_defaults(func=_sync)
    version = db_commands.add_parser('version',
                                     help='Print the schema revision')
    version.set_defaults(func=_version)


def main(argv=None):
    conf = cs_conf.CONF
    logging.register_options(conf)
    conf.register_cli_opt(cfg.SubCommandOpt(
        'command', title='Commands', handler=_add_commands))
    conf(sys.argv[1:] if argv is None else argv, project='consistent_snap')
    logging.setup(conf, 'consistent-snap-manage')
    db_api.configure(conf)
    return conf.command.func(conf)
