"""WSGI entry points.

Selects the threading backend before anything imports oslo.service.
"""

from oslo_service import backend

backend.init_backend(backend.BackendType.THREADING)
