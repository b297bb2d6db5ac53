"""How openstacksdk finds consistent-snap in the Keystone catalog."""

from openstack import service_description

from consistent_snap.sdk.v1 import _proxy

SERVICE_TYPE = 'consistent-snap'
# The Connection attribute add_service() creates for SERVICE_TYPE.
PROXY_ATTR = SERVICE_TYPE.replace('-', '_')


def description():
    """The ServiceDescription to give Connection.add_service()."""
    return service_description.ServiceDescription(
        service_type=SERVICE_TYPE, supported_versions={'1': _proxy.Proxy})
