"""The test settings plus the ``bench`` app (its bare viewflow flow and the floor's tables).

The benchmark runs in a database of its own that it creates and drops: a temporary
SQLite file by default, ``<DATABASE_URL's name>_run`` on PostgreSQL.
"""

from config.settings.test import *  # noqa: F403
from config.settings.test import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
DATABASES["default"]["TEST"] = {"NAME": f"{DATABASES['default']['NAME']}_run"}
# one connection for the whole run: the reads measure statements, not connecting
DATABASES["default"]["CONN_MAX_AGE"] = None
# the benchmark counts what an action runs, not the test suite's self-check of it
GREENLIGHT_CHECK_MOVES = False
