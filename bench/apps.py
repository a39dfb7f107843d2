from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmarks' own flow and tables; installed only by ``bench.settings``."""

    name = "bench"
    label = "bench"
    default_auto_field = "django.db.models.BigAutoField"
