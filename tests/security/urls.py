"""Every URL the project serves, read from Django's resolver, with its parameters filled in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
# Not tenant data: Django's admin (superuser only, staff login), and sign-in, sign-out and
# password reset, which the login tests cover.
NOT_TENANT_SCOPED = ("admin/", "accounts/")


@dataclass(frozen=True)
class Route:
    template: str  # "plans/<int:plan_id>/"
    name: str

    @property
    def params(self) -> list[str]:
        return PARAM.findall(self.template)

    @property
    def is_api(self) -> bool:
        return self.template.startswith("api/")

    @property
    def node(self) -> str | None:
        """The flow node of one of viewflow's task URLs: ``.../<process_pk>/review/<task_pk>/``."""
        match = re.search(r"<int:process_pk>/(\w+)/<int:task_pk>", self.template)
        return match.group(1) if match else None

    def fill(self, values: dict[str, str]) -> str:
        return "/" + PARAM.sub(lambda m: str(values[m.group(1)]), self.template)


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace or ""]))
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = ":".join(filter(None, [namespace, pattern.name or ""]))
            yield Route(prefix + str(pattern.pattern), name)


def swept(routes: list[Route], *, at_least: int, including: set[str]) -> list[Route]:
    """``routes``, once it is plain that a sweep over them would prove something: at least
    ``at_least`` of them, ``including`` the named ones (an empty sweep passes anything)."""
    names = {route.name for route in routes}
    assert len(routes) >= at_least, f"only {len(routes)} routes to sweep: {sorted(names)}"
    assert including <= names, f"not swept: {sorted(including - names)}"
    return routes


def all_routes() -> list[Route]:
    """Every route but the admin's and the sign-in pages'."""
    return [
        route
        for route in _walk(get_resolver().url_patterns)
        if not route.template.startswith(NOT_TENANT_SCOPED)
    ]
