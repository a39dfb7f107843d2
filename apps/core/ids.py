"""Object ids from URLs and forms: plain ASCII digits only, or it does not exist.

``int()`` is lenient: it takes `` 2 ``, ``+2`` and full-width ``０２`` for 2, so
one object would answer to many spellings of its id. Anything but a positive
number in ASCII digits (or an int) is "not found", like a missing id.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import NotFound

_DIGITS = re.compile(r"[0-9]{1,19}")
MAX_ID = 2**63 - 1  # the largest primary key either database stores


def object_id(value: Any) -> int:
    """``value`` as a primary key, or ``NotFound``."""
    if isinstance(value, bool):
        raise NotFound()
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value):
        number = int(value)
    else:
        raise NotFound()
    if not 1 <= number <= MAX_ID:
        raise NotFound()
    return number
