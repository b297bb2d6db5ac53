"""The versions document and the OpenAPI description of the API."""

from importlib import resources

import webob
import webob.dec

from consistent_snap.api import util

MIN_VERSION = '1.0'
MAX_VERSION = '1.0'
OPENAPI_RESOURCE = 'openapi.yaml'

_OPENAPI = None


def _v1(req):
    return {'id': 'v1.0', 'status': 'CURRENT', 'min_version': MIN_VERSION,
            'max_version': MAX_VERSION,
            'links': [{'rel': 'self', 'href': util.url(req, 'v1') + '/'}]}


@webob.dec.wsgify
def versions(req):
    return util.json_response(req, {'versions': [_v1(req)]})


@webob.dec.wsgify
def version_v1(req):
    return util.json_response(req, {'version': _v1(req)})


def _openapi_document():
    # Read from the installed package, once: it does not change while the
    # service runs.
    global _OPENAPI
    if _OPENAPI is None:
        _OPENAPI = resources.files('consistent_snap.api').joinpath(
            OPENAPI_RESOURCE).read_bytes()
    return _OPENAPI


@webob.dec.wsgify
def openapi(req):
    """The OpenAPI 3.1 document of the v1 API, as YAML."""
    return webob.Response(body=_openapi_document(),
                          content_type='application/yaml', charset=None)
