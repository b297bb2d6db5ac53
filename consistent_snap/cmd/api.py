"""consistent-snap-api: the WSGI application under gunicorn.

Production deployments may serve consistent_snap.wsgi.api:application from
uwsgi or mod_wsgi instead; this runs the same application.
"""

import sys

from gunicorn.app import base as gunicorn_base

from consistent_snap import exception
from consistent_snap.wsgi import app as wsgi_app


class _Server(gunicorn_base.BaseApplication):
    def __init__(self, application, options):
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application


def main():
    conf = wsgi_app.parse_config(sys.argv[1:])
    try:
        application = wsgi_app.build(conf)
    except exception.ConsistentSnapException as e:
        sys.exit('consistent-snap-api: %s' % e)
    options = {
        'bind': '%s:%d' % (conf.api.bind_host, conf.api.bind_port),
        'workers': conf.api.workers,
        'threads': conf.api.threads,
        'worker_class': 'gthread',
        # openstacksdk polls every 2 s on a kept-alive connection.
        'keepalive': 75,
        'accesslog': '-',
        'proc_name': 'consistent-snap-api',
    }
    sys.argv = sys.argv[:1]  # gunicorn parses argv too
    _Server(application, options).run()
