"""JSON over tempest's RestClient, shared by consistent-snap's clients."""

from urllib import parse

from oslo_serialization import jsonutils
from tempest.lib.common import rest_client
from tempest.lib import exceptions as lib_exc


class JsonClient(rest_client.RestClient):
    """One REST collection: /v1/<collection>, its items wrapped in <key>."""

    #: The collection's path under /v1, e.g. 'app-groups'.
    collection = None
    #: The key wrapping one item in bodies, e.g. 'app_group'.
    key = None

    def _path(self, *parts, **params):
        path = '/'.join(('v1', self.collection) + parts)
        if params:
            path += '?' + parse.urlencode(params)
        return path

    def _call(self, method, path, status, body=None):
        if body is not None:
            body = jsonutils.dumps(body)
            resp, raw = self.request(method, path, body=body)
        else:
            resp, raw = self.request(method, path)
        self.expected_success(status, resp.status)
        return rest_client.ResponseBody(
            resp, jsonutils.loads(raw) if raw else {})

    def _create(self, status=201, **fields):
        return self._call('POST', self._path(), status, {self.key: fields})

    def _list(self, **params):
        return self._call('GET', self._path(**params), 200)

    def _show(self, item_id):
        return self._call('GET', self._path(item_id), 200)

    def _update(self, item_id, **fields):
        return self._call('PATCH', self._path(item_id), 200,
                          {self.key: fields})

    def _delete(self, item_id, status=204):
        return self._call('DELETE', self._path(item_id), status)

    def is_resource_deleted(self, id):
        try:
            self._show(id)
        except lib_exc.NotFound:
            return True
        return False

    @property
    def resource_type(self):
        return self.key
