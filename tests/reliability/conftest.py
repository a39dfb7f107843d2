"""Race and crash tests: real PostgreSQL, threads with their own connections."""

from .figures import summary
from .harness import crew, queued  # noqa: F401  (fixtures)


def pytest_terminal_summary(terminalreporter):
    summary(terminalreporter)
