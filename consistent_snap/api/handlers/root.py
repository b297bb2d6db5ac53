"""The versions document."""

import webob.dec

from consistent_snap.api import util

MIN_VERSION = '1.0'
MAX_VERSION = '1.0'


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
