"""Heat stacks: the little the scenarios need (tempest.lib has no Heat)."""

from oslo_serialization import jsonutils
from tempest.lib.common import rest_client
from tempest.lib import exceptions as lib_exc


class StacksClient(rest_client.RestClient):

    def create_stack(self, name, template, files=None, parameters=None):
        """template: a dict (HOT as JSON); files: {name: content} of the
        templates it refers to. Returns {'stack': {'id', ...}}.
        """
        body = jsonutils.dumps({'stack_name': name, 'template': template,
                                'files': files or {},
                                'parameters': parameters or {}})
        resp, raw = self.post('stacks', body)
        self.expected_success(201, resp.status)
        return rest_client.ResponseBody(resp, jsonutils.loads(raw))

    def show_stack(self, name, stack_id):
        resp, raw = self.get('stacks/%s/%s' % (name, stack_id))
        self.expected_success(200, resp.status)
        return rest_client.ResponseBody(resp, jsonutils.loads(raw))

    def delete_stack(self, name, stack_id):
        resp, raw = self.delete('stacks/%s/%s' % (name, stack_id))
        self.expected_success(204, resp.status)
        return rest_client.ResponseBody(resp, raw)

    def is_resource_deleted(self, id):
        """id: (name, stack id)."""
        try:
            stack = self.show_stack(*id)['stack']
        except lib_exc.NotFound:
            return True
        if stack['stack_status'] == 'DELETE_FAILED':
            raise lib_exc.DeleteErrorException(
                'Stack %s: %s' % (id[1], stack.get('stack_status_reason')))
        return stack['stack_status'] == 'DELETE_COMPLETE'

    @property
    def resource_type(self):
        return 'stack'
