"""The access log that `ketacare serve` writes shows routes, not URLs (docs/security.md)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from gunicorn.config import Config

from ketacare.common.accesslog import ACCESS_LOG_FORMAT, UNMATCHED, RouteLogger

TOKEN = "kq3v9XbR2m-secret-link-token-7Hc"


def _line(method: str, raw_uri: str, **environ: str) -> str:
    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", ACCESS_LOG_FORMAT)
    logger = RouteLogger(config)
    lines: list[str] = []
    logger.access_log = SimpleNamespace(info=lambda fmt, atoms: lines.append(fmt % atoms))
    path, _, query = raw_uri.partition("?")
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "RAW_URI": raw_uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_USER_AGENT": "Mozilla/5.0",
        **environ,
    }
    response = SimpleNamespace(
        status="200 OK", sent=512, headers=[("X-Request-ID", "req-12345678")]
    )
    request = SimpleNamespace(headers=[("REFERER", raw_uri), ("AUTHORIZATION", "Bearer kc_x")])
    logger.access(response, request, env, dt.timedelta(milliseconds=42))
    (line,) = lines
    return line


@pytest.mark.parametrize(
    ("method", "raw_uri", "route"),
    [
        ("GET", "/c/riverside/patients/?q=Ahmed+1966-09-09", "/c/<slug:clinic_slug>/patients/"),
        ("GET", "/api/v1/patients?q=Ahmed%201966-09-09", "/api/v1/patients"),
        ("POST", f"/r/{TOKEN}/?step=2", "/r/<str:token>/"),
        ("GET", f"/nowhere/{TOKEN}", UNMATCHED),
    ],
)
def test_the_line_names_the_route_and_drops_the_url(method: str, raw_uri: str, route: str) -> None:
    line = _line(method, raw_uri, HTTP_REFERER=f"https://x/r/{TOKEN}/")
    assert f'"{method} {route} HTTP/1.1" 200 512' in line
    assert "203.0.113.9" in line and "req-12345678" in line and "0.042000s" in line
    for secret in ("Ahmed", "1966", TOKEN, "kc_x", "step="):
        assert secret not in line


def test_serve_runs_gunicorn_with_this_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.management import call_command

    seen: list[list[str]] = []
    monkeypatch.setattr("os.execvp", lambda _file, argv: seen.append(argv))
    monkeypatch.setattr(
        "ketacare.common.management.commands.serve.call_command", lambda *a, **k: None
    )
    call_command("serve")
    (argv,) = seen
    assert argv[argv.index("--logger-class") + 1] == "ketacare.common.accesslog.RouteLogger"
    assert argv[argv.index("--access-logformat") + 1] == ACCESS_LOG_FORMAT
