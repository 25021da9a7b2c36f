"""gunicorn's access log, without the parts of a URL that carry patient data.

A URL can hold a search (`?q=Ahmed 1966-09-09`) or a self-report link's token (`/r/<token>/`,
usable until it expires), so the log records the route the request matched
(`r/<str:token>/`), never the path or query string, nor the referrer or any header that
a custom format could name. `ketacare serve` uses this logger and ACCESS_LOG_FORMAT.
"""

from __future__ import annotations

from typing import Any

from django.urls import Resolver404, resolve
from gunicorn.glogging import Logger

ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(L)ss "%(a)s" %({x-request-id}o)s'
# What a line may show: client, time, method, protocol, status, size, duration, user agent.
_KEPT = frozenset(
    ["h", "l", "u", "t", "s", "m", "H", "b", "B", "a", "T", "D", "M", "L", "p", "{x-request-id}o"]
)
UNMATCHED = "(no route)"


def route_of(path: str) -> str:
    """The URL pattern that `path` matches, with its parameters as names."""
    try:
        return "/" + resolve(path).route
    except Resolver404:
        return UNMATCHED


def safe_atoms(atoms: dict[str, Any], path: str) -> dict[str, Any]:
    kept = {key: value for key, value in atoms.items() if key in _KEPT}
    route = route_of(path)
    return kept | {"U": route, "r": f"{atoms.get('m')} {route} {atoms.get('H')}", "q": "", "f": "-"}


class RouteLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        return safe_atoms(atoms, environ.get("PATH_INFO", ""))
