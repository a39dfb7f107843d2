"""What a revision freezes, and its SHA-256 fingerprint: one definition for writers and checkers."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .models import FROZEN_FIELDS, Plan, PlanRevision


def content_fingerprint(revision_fields: dict[str, Any]) -> str:
    """SHA-256 over a canonical serialisation of what a revision froze."""
    canonical = json.dumps(revision_fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def revision_payload(source: Plan | PlanRevision) -> dict[str, Any]:
    payload = {name: getattr(source, name) for name in FROZEN_FIELDS}
    payload["content"] = source.content
    return payload
