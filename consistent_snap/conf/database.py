import copy

from oslo_db import options as db_options

# Embedded default: one SQLite file under state_path, zero setup.
DEFAULT_CONNECTION = 'sqlite:///$state_path/consistent_snap.sqlite'


def register_opts(conf):
    db_options.set_defaults(conf, connection=DEFAULT_CONNECTION)


def list_opts():
    # The generator reads these copies, not CONF: give them our default.
    opts = copy.deepcopy(db_options.list_opts()[0][1])
    for opt in opts:
        if opt.name == 'connection':
            opt.default = DEFAULT_CONNECTION
    return {'database': opts}
