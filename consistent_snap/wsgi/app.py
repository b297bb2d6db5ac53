"""Building the API's WSGI application, without side effects on import.

consistent-snap-api builds it from its command line; consistent_snap.wsgi.api
builds it on import for uwsgi and mod_wsgi, from the config files in
$CONSISTENT_SNAP_CONFIG_FILES (comma separated), else oslo.config's default
locations (/etc/consistent_snap/consistent_snap.conf).
"""

import os

from oslo_log import log as logging

from consistent_snap.api import deploy
from consistent_snap import conf as cs_conf
from consistent_snap.db import api as db_api
from consistent_snap import members
from consistent_snap import policy
from consistent_snap import rpc

CONFIG_FILES_ENV = 'CONSISTENT_SNAP_CONFIG_FILES'


def parse_config(argv, config_files=None):
    conf = cs_conf.CONF
    logging.register_options(conf)
    conf(argv, project='consistent_snap', default_config_files=config_files)
    logging.setup(conf, 'consistent-snap-api')
    return conf


def build(conf):
    """The application, for a configuration already parsed."""
    members.check_enabled_resolvers(conf)
    db_api.configure(conf)
    policy.init(conf)
    rpc.init(conf)
    return deploy.deploy(conf)


def init_application():
    config_files = None
    if os.environ.get(CONFIG_FILES_ENV):
        config_files = os.environ[CONFIG_FILES_ENV].split(',')
    # Never parse sys.argv here: it belongs to the WSGI server.
    return build(parse_config([], config_files))
