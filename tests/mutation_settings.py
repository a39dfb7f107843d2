"""Settings for ``make mutate``: the test settings with the test database in a file that every
mutant's run reuses (``--reuse-db``), so that a mutant costs its tests, not a migration."""

from config.settings.test import *  # noqa: F403
from config.settings.test import DATABASES

DATABASES["default"].setdefault("TEST", {})["NAME"] = "/tmp/greenlight-mutants.sqlite3"
