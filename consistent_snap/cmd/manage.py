"""consistent-snap-manage: database schema management."""

import sys

from oslo_config import cfg
from oslo_log import log as logging

from consistent_snap import conf as cs_conf
from consistent_snap.db import api as db_api
from consistent_snap.db import migration


def _sync(conf):
    migration.upgrade(conf.command.revision)
    print('Database is at revision %s' % migration.version())


def _version(conf):
    print(migration.version() or 'None (empty database: run db sync)')


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
        'command', title='Commands', handler=_add_db_commands))
    conf(sys.argv[1:] if argv is None else argv, project='consistent_snap')
    logging.setup(conf, 'consistent-snap-manage')
    db_api.configure(conf)
    conf.command.func(conf)
