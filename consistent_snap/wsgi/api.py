"""The API as a WSGI module path: consistent_snap.wsgi.api:application.

Built on import: uwsgi looks the callable up in this module's namespace, so
a lazy module __getattr__ would never be asked for it. Import
consistent_snap.wsgi.app instead to build the application yourself.
"""

from consistent_snap.wsgi import app

application = app.init_application()
