# Select oslo.service's threading backend before anything imports
# oslo.messaging, exactly as the console scripts do.
from oslo_service import backend

backend.init_backend(backend.BackendType.THREADING)

from oslo_config import cfg  # noqa: E402
from oslo_db import options as db_options  # noqa: E402
import pytest  # noqa: E402

from consistent_snap import conf as cs_conf  # noqa: E402,F401
from consistent_snap.db import api as db_api  # noqa: E402
from consistent_snap.db import migration  # noqa: E402
from consistent_snap import policy  # noqa: E402


@pytest.fixture
def conf():
    """The global CONF, parsed with no files and reset afterwards."""
    cfg.CONF([], project='consistent_snap', default_config_files=[])
    yield cfg.CONF
    cfg.CONF.reset()


@pytest.fixture
def enforcer(conf):
    enforcer = policy.init(conf)
    yield enforcer
    policy.reset()


@pytest.fixture(scope='session')
def db(tmp_path_factory):
    """A real SQLite file, migrated to head, for this whole test session.

    The engine facade is configured once per process: tests share the
    database and keep apart by project ids of their own.
    """
    path = tmp_path_factory.mktemp('db') / 'consistent_snap.sqlite'
    conf = cfg.ConfigOpts()
    db_options.set_defaults(conf, connection='sqlite:///%s' % path)
    db_api.configure(conf)
    migration.upgrade('head')
    return db_api
