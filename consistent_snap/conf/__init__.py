"""The service's configuration: one module per option group."""

from oslo_config import cfg

from consistent_snap.conf import opts

CONF = cfg.CONF

for _module in opts.MODULES:
    _module.register_opts(CONF)
