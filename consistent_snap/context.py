"""The request context, carried from the API through RPC to the agents."""

from oslo_context import context
from oslo_db.sqlalchemy import enginefacade


@enginefacade.transaction_context_provider
class RequestContext(context.RequestContext):
    """A user's request: who asks, in which project, with which roles.

    ``is_admin`` is set from the policy rule ``context_is_admin``, never
    trusted from the caller.
    """
