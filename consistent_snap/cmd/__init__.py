"""Console scripts.

Importing oslo.messaging fixes oslo.service's backend: choose it first.
"""

from oslo_service import backend

backend.init_backend(backend.BackendType.THREADING)
