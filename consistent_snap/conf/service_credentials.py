from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

GROUP = cfg.OptGroup(
    'service_credentials', title='Service credentials',
    help='Credentials the service uses to read Nova, Heat, Cinder and Glance '
         'on behalf of every project. Compute host names are read with '
         'them, so the user needs the admin role.')

opts = [
    cfg.StrOpt('region_name', help='Region of the services to call.'),
    cfg.StrOpt('interface', default='public',
               choices=['public', 'internal', 'admin'],
               help='Endpoint interface to use from the catalog.'),
]


# Seconds a call to Nova, Glance, Cinder, Heat or Keystone may take: a hung
# service fails the run that waits for it rather than hold it forever.
DEFAULT_TIMEOUT = 60


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)
    conf.register_opts(_session_opts(), group=GROUP.name)
    ks_loading.register_auth_conf_options(conf, GROUP.name)


def _session_opts():
    """keystoneauth's session options, with our default timeout."""
    session_opts = ks_loading.get_session_conf_options()
    for opt in session_opts:
        if opt.dest == 'timeout':
            opt.default = DEFAULT_TIMEOUT
    return session_opts


def list_opts():
    return {GROUP: (opts
                    + _session_opts()
                    + ks_loading.get_auth_common_conf_options()
                    + ks_loading.get_auth_plugin_conf_options('password'))}
