"""Headers on every answer (CSP, Permissions-Policy, no-store), HTTPS in production, and
`manage.py check --deploy` clean in production mode (docs/security.md)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import plotly
from django.conf import settings
from django.test import Client

from ketacare.accounts.policy import Role
from tests.api.world import World, member, session_client, token_client


def _assert_private(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert "no-store" in headers["Cache-Control"]
    assert "camera=()" in headers["Permissions-Policy"]
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("style-src-attr")[0]
    assert "unsafe-eval" not in csp


def test_pages_api_csv_and_pdf_are_never_cached(world: World) -> None:
    client = session_client(member(world.a.clinic, Role.PRESCRIBER))
    slug, patient = world.a.clinic.slug, world.a.patient.pk
    for url in (
        f"/c/{slug}/patients/",
        f"/c/{slug}/patients/{patient}/",
        f"/c/{slug}/outcomes/?csv=rates",
        f"/c/{slug}/patients/{patient}/report/pdf/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_private(response)
    api = token_client(world.dual_token_a)
    _assert_private(api.get(f"/api/v1/patients/{patient}"))
    _assert_private(api.get("/api/v1/rems-forms.csv"))
    _assert_private(Client().get("/login/"))


def test_no_template_has_inline_script_or_event_handlers() -> None:
    """The CSP forbids them; this finds them before a browser does."""
    templates = Path(settings.BASE_DIR, "ketacare").rglob("*.html")
    for template in templates:
        text = template.read_text()
        assert not re.search(r"\son[a-z]+\s*=", text), template
        for script in re.findall(r"<script[^>]*>", text):
            assert "src=" in script or "application/json" in script, (template, script)


def test_plotly_stylesheet_hash_matches_the_installed_plotly() -> None:
    """Plotly's map stylesheet is allowed by its hash: an upgrade changes it."""
    bundle = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    source = bundle.read_text()
    start = source.index(".textContent='.maplibregl-map{") + len(".textContent='")
    css = source[start : source.index("'", start)]
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in settings.PLOTLY_STYLE_HASHES


def _production_env(tmp_path: Path) -> dict[str, str]:
    # A deployment's environment: none of the test run's own variables (the browser
    # tests set DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rightly refuses).
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("KETACARE_", "DJANGO_"))
    }
    return environment | {
        "DJANGO_SETTINGS_MODULE": "ketacare.settings",
        "KETACARE_ENV": "production",
        "KETACARE_SECRET_KEY": "x" * 20
        + "-production-test-secret-key-of-fifty-plus-chars-0123456789",
        "KETACARE_ALLOWED_HOSTS": "care.example.org",
        "KETACARE_PUBLIC_URL": "https://care.example.org",
        "KETACARE_AUDIT_ANCHOR_KEY": "production-test-anchor-key-0123456789abcdef",
        "KETACARE_VAR_DIR": str(tmp_path),
    }


def test_check_deploy_is_clean_in_production_mode(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_redirects_to_https_and_sends_hsts(tmp_path: Path) -> None:
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/login/', HTTP_HOST='care.example.org');"
        "print(r.status_code, r['Location']);"
        "r = Client().get('/login/', HTTP_HOST='care.example.org', secure=True);"
        "print(r['Strict-Transport-Security'])"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    redirect, hsts = result.stdout.splitlines()
    assert redirect == "301 https://care.example.org/login/"
    assert hsts == "max-age=31536000; includeSubDomains"
