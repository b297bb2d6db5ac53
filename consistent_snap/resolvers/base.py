"""What every resolver does: turn an app group's source into server ids."""

import abc


class Resolver(metaclass=abc.ABCMeta):
    """Resolves one kind of source (stack, server group, tag, list).

    A resolver runs with the service's connection and is always given the
    project that owns the app group: it must never return another
    project's servers.
    """

    #: JSON schema of the ``source`` object this resolver accepts.
    schema = {}

    def __init__(self, conf, connection):
        self.conf = conf
        self.conn = connection

    @abc.abstractmethod
    def validate(self, project_id, source, inventory):
        """Check that ``source`` exists in the project; return it normalised.

        Names are turned into ids here, so that a rename or a look-alike
        created later cannot change what the group means. Raises a NotFound
        naming what is missing.
        """

    @abc.abstractmethod
    def resolve(self, project_id, source, inventory):
        """Return the ids of the servers the source has now, in order."""
