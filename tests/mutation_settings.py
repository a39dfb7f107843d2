"""Settings for ``make mutate``: the test settings on a database built once, before the run
(migrated, with the suite's world), that every mutant's tests reuse as it is. Each test still
runs in a transaction that is rolled back; a mutant costs its tests, not a migration."""

import os

from config.settings.test import *  # noqa: F403
from config.settings.test import DATABASES

MUTATION_DB = os.environ.get("GREENLIGHT_EXISTING_TEST_DB", "/tmp/greenlight-mutants.sqlite3")
DATABASES["default"] = {
    **DATABASES["default"],
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": MUTATION_DB,
    "TEST": {"NAME": MUTATION_DB},
}
