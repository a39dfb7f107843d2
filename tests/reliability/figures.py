"""Figures the reliability and security tests measure, printed at the end of the run.

``make reliability`` shows them in pytest's summary; docs/reliability.md quotes the last run.
"""

from __future__ import annotations

import json
import os
from typing import Any

FIGURES: dict[str, dict[str, Any]] = {}
_shown: list[bool] = []


def record(name: str, **values: Any) -> None:
    FIGURES.setdefault(name, {}).update(values)


def summary(terminalreporter: Any) -> None:
    if not FIGURES or _shown:
        return  # both conftests hook in; print once
    _shown.append(True)
    terminalreporter.section("Greenlight reliability figures")
    for name, values in FIGURES.items():
        shown = ", ".join(f"{key}={value}" for key, value in values.items())
        terminalreporter.write_line(f"{name}: {shown}")
    path = os.environ.get("GREENLIGHT_FIGURES")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(FIGURES, out, indent=2, sort_keys=True, default=str)
