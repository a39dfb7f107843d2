"""WSGI entry point.

gunicorn loads it once in its arbiter (``--preload``, config/Procfile) and forks the workers
from there, so a worker that replaces a dead one serves at once instead of importing Django,
the project and every view first (about a second of CPU here, taken from the live workers).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()


def _warm() -> None:
    """Import every view now (Django imports the URLconf on the first request otherwise), and
    leave no database connection open: a forked worker must open its own."""
    from django.db import connections
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (the import is the point)
    connections.close_all()


_warm()
