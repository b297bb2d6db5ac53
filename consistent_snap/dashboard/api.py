"""openstacksdk for the dashboard: the user's token, one connection a request.

consistent_snap(request) is the same proxy the CLI uses
(conn.consistent_snap); orchestration(request) and compute(request) share
its connection for the create form's lists of stacks, servers and server
groups.
"""

import inspect

from django.conf import settings
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
from openstack import connection
from openstack import exceptions as sdk_exceptions

from consistent_snap.sdk import service as sdk_service

# Where the connection is kept for the rest of the request.
_REQUEST_ATTR = '_consistent_snap_connection'


def _verify():
    if getattr(settings, 'OPENSTACK_SSL_NO_VERIFY', False):
        return False
    return getattr(settings, 'OPENSTACK_SSL_CACERT', None) or True


def _interface():
    # Horizon says publicURL; keystoneauth says public.
    endpoint_type = getattr(settings, 'OPENSTACK_ENDPOINT_TYPE', 'public')
    return endpoint_type.replace('URL', '')


def connection_for(request):
    """An SDK Connection as the logged-in user, scoped to their project."""
    conn = getattr(request, _REQUEST_ATTR, None)
    if conn is None:
        auth = v3.Token(
            auth_url=(getattr(request.user, 'endpoint', None) or
                      settings.OPENSTACK_KEYSTONE_URL),
            token=request.user.token.id,
            project_id=request.user.project_id)
        session = ks_session.Session(auth=auth, verify=_verify(),
                                     app_name='consistent-snap-dashboard')
        conn = connection.Connection(
            session=session, region_name=request.user.services_region,
            interface=_interface())
        conn.add_service(sdk_service.description())
        setattr(request, _REQUEST_ATTR, conn)
    return conn


class ApiError(Exception):
    """An API call failed; the message is the API's, which names what to fix,
    or says that the service is not answering.

    Horizon classes every openstacksdk HttpException as "unauthorized" and
    logs the user out, though only a 401 means that. The enabled files
    register this class as recoverable instead, so exceptions.handle(request,
    msg) shows msg, then the API's message, and the user stays.
    """

    def __init__(self, message, status_code=None):
        super().__init__(message)
        self.status_code = status_code


class _HorizonErrors:
    """A proxy whose calls raise ApiError for API errors but a 401.

    Lists come back as lists, so that their errors are raised here too,
    not later while a table iterates them.
    """

    def __init__(self, make_proxy):
        # Made at the first call, inside the caller's error handling: the
        # SDK reaches the service's version document there.
        self._make_proxy = make_proxy

    def __getattr__(self, name):
        def call(*args, **kwargs):
            try:
                result = getattr(self._make_proxy(), name)(*args, **kwargs)
                if inspect.isgenerator(result):
                    result = list(result)
                return result
            except sdk_exceptions.HttpException as e:
                if e.status_code == 401:
                    raise  # The token expired: log in again.
                raise ApiError(e.details or e.message, e.status_code) from e
            except sdk_exceptions.NotSupported as e:
                # What the SDK says when the version document is not there.
                raise ApiError(
                    'The service is not answering at its catalog endpoint; '
                    'try again shortly, or ask the operator to check '
                    'that it is running.') from e
        return call


def consistent_snap(request):
    """conn.consistent_snap for the request's user."""
    return _HorizonErrors(lambda: getattr(connection_for(request),
                                          sdk_service.PROXY_ATTR))


def orchestration(request):
    return _HorizonErrors(lambda: connection_for(request).orchestration)


def compute(request):
    return _HorizonErrors(lambda: connection_for(request).compute)
