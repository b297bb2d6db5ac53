"""The WSGI pipeline, composed in code: no paste, nothing to misconfigure."""

from keystoneauth1 import exceptions as ks_exceptions
from keystonemiddleware import auth_token
from openstack import exceptions as sdk_exceptions
from oslo_log import log as logging
from oslo_middleware import request_id
import webob.dec

from consistent_snap.api import router
from consistent_snap.api import util
from consistent_snap import context as cs_context
from consistent_snap import exception
from consistent_snap import policy

LOG = logging.getLogger(__name__)


class FaultWrapper:
    """Every error becomes JSON a person can act on; nothing leaks."""

    def __init__(self, application):
        self.application = application

    @webob.dec.wsgify
    def __call__(self, req):
        try:
            req.path_info
        except UnicodeDecodeError:
            return util.error_response(req, 400, 'Bad Request',
                                       'The URL is not valid UTF-8.')
        try:
            return req.get_response(self.application)
        except exception.ConsistentSnapException as e:
            if e.code >= 500:
                LOG.error('%s %s failed: %s', req.method, req.path, e)
            return util.error_response(req, e.code, type(e).__name__,
                                       e.message)
        except (sdk_exceptions.SDKException,
                ks_exceptions.ClientException) as e:
            # Nova, Heat, Cinder or Glance failed us: not the caller's fault.
            LOG.error('%s %s: a cloud service call failed: %s', req.method,
                      req.path, e)
            return util.error_response(
                req, 503, 'Service Unavailable',
                'A cloud service this request needs failed (%s). Try again; '
                'if it persists, the operator should check that service and '
                "consistent-snap's [service_credentials]." % e)
        except Exception:
            LOG.exception('Unexpected error in %s %s', req.method, req.path)
            return util.error_response(
                req, 500, 'Internal Server Error',
                'An unexpected error occurred; the operator can find it '
                'in the API log under this request id.')


class BodySizeLimit:
    """413 for a body larger than [api] max_request_body_size.

    Checked before authentication and before anything reads the body: by
    its Content-Length, or, for a chunked body, by reading at most one
    byte more than the limit.
    """

    def __init__(self, application, limit):
        self.application = application
        self.limit = limit

    def _too_large(self, req):
        return util.error_response(
            req, 413, 'Request Entity Too Large',
            'The request body is larger than %d bytes, the most this API '
            'accepts.' % self.limit)

    @webob.dec.wsgify
    def __call__(self, req):
        length = req.content_length
        if length is not None:
            if length > self.limit:
                return self._too_large(req)
        elif 'chunked' in req.headers.get('Transfer-Encoding', '').lower():
            # No length: HTTP/1.1's only other way to send a body.
            body = req.body_file_raw.read(self.limit + 1)
            if len(body) > self.limit:
                return self._too_large(req)
            req.body = body
        return req.get_response(self.application)


class NoAuth:
    """Local use: trust identity headers, as keystonemiddleware would set."""

    def __init__(self, application):
        self.application = application

    @webob.dec.wsgify
    def __call__(self, req):
        req.headers.setdefault('X-User-Id', 'noauth-user')
        req.headers.setdefault('X-Project-Id', 'noauth-project')
        req.headers.setdefault('X-Roles', 'admin,member,reader')
        req.headers['X-Identity-Status'] = 'Confirmed'
        return req.get_response(self.application)


class ContextMiddleware:
    """Builds the RequestContext; is_admin comes from policy only."""

    def __init__(self, application):
        self.application = application

    @webob.dec.wsgify
    def __call__(self, req):
        if req.environ.get('HTTP_X_IDENTITY_STATUS') != 'Confirmed':
            return util.error_response(req, 401, 'Unauthorized',
                                       'Authentication required: send a '
                                       'valid X-Auth-Token.')
        context = cs_context.RequestContext.from_environ(req.environ)
        context.is_admin = policy.check(context, 'context_is_admin')
        req.environ[util.CONTEXT_KEY] = context
        return req.get_response(self.application)


class PublicPaths:
    """Serves the version documents before authentication."""

    def __init__(self, application, public):
        self.application = application
        self.public = public

    @webob.dec.wsgify
    def __call__(self, req):
        if (req.path_info.rstrip('/') or '/') in router.PUBLIC_PATHS:
            return req.get_response(self.public)
        return req.get_response(self.application)


def deploy(conf):
    """Outermost first: request id, faults, body size, public paths, auth."""
    routes = router.Router()
    application = ContextMiddleware(routes)
    if conf.api.auth_strategy == 'noauth':
        application = NoAuth(application)
    else:
        application = auth_token.AuthProtocol(
            application, {'oslo_config_config': conf})
    application = PublicPaths(application, routes)
    application = BodySizeLimit(application, conf.api.max_request_body_size)
    application = FaultWrapper(application)
    return request_id.RequestId(application)
