"""Loading stevedore drivers, with an error that lists the valid names."""

from importlib import metadata

from stevedore import driver
from stevedore import exception as stevedore_exception

from consistent_snap import exception


def names(namespace):
    return sorted({ep.name for ep in metadata.entry_points(group=namespace)})


def _driver(namespace, name, **options):
    try:
        return driver.DriverManager(namespace, name, **options).driver
    except stevedore_exception.NoMatches:
        raise exception.UnknownDriver(kind=namespace, name=name,
                                      valid=', '.join(names(namespace)))


def load_class(namespace, name):
    """The driver's class, not made: for what runs before any instance."""
    return _driver(namespace, name, invoke_on_load=False)


def load(namespace, name, *args):
    return _driver(namespace, name, invoke_on_load=True, invoke_args=args)
