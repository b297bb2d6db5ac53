"""oslo.policy enforcement with secure-RBAC defaults."""

from oslo_config import cfg
from oslo_policy import opts as policy_opts
from oslo_policy import policy

from consistent_snap import exception
from consistent_snap import policies

_ENFORCER = None

# Secure RBAC: new defaults and scope checks are on, not opt-in.
policy_opts.set_defaults(cfg.CONF, enforce_scope=True,
                         enforce_new_defaults=True)


def get_enforcer():
    """Entry point for oslopolicy-policy-generator and -checker."""
    cfg.CONF([], project='consistent_snap')
    return init(cfg.CONF)


def init(conf):
    global _ENFORCER
    _ENFORCER = policy.Enforcer(conf)
    _ENFORCER.register_defaults(policies.list_rules())
    return _ENFORCER


def reset():
    global _ENFORCER
    _ENFORCER = None


def _target(target, context):
    return target or {'project_id': context.project_id,
                      'user_id': context.user_id}


def authorize(context, rule, target=None):
    """Raise Forbidden unless policy allows ``rule`` on ``target``."""
    try:
        _ENFORCER.authorize(rule, _target(target, context), context,
                            do_raise=True, exc=exception.Forbidden,
                            action=rule)
    except policy.InvalidScope:
        raise exception.Forbidden(action=rule)


def check(context, rule, target=None):
    """True if policy allows ``rule``; never raises."""
    try:
        return _ENFORCER.authorize(rule, _target(target, context), context,
                                   do_raise=False)
    except policy.InvalidScope:
        return False
