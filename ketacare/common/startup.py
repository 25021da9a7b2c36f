"""Start-up checks for production mode (plain functions, no Django imports).

`ketacare/settings.py` calls `production_problems` with the process environment; each
problem names the variable to set, and start-up fails with all of them at once."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

REQUIRED = "is required when KETACARE_ENV=production"


def _has(environ: Mapping[str, str], name: str, *, file_too: bool = False) -> bool:
    if environ.get(name, "").strip():
        return True
    return file_too and bool(environ.get(f"{name}_FILE", "").strip())


def production_problems(environ: Mapping[str, str], *, dev_audit_key: bool) -> list[str]:
    """What stops a production start-up, one sentence per variable."""
    problems = []
    if not _has(environ, "KETACARE_SECRET_KEY", file_too=True):
        problems.append(f"KETACARE_SECRET_KEY (or KETACARE_SECRET_KEY_FILE) {REQUIRED}")
    if not _has(environ, "KETACARE_ALLOWED_HOSTS"):
        problems.append(f"KETACARE_ALLOWED_HOSTS {REQUIRED} (the host names the server answers to)")
    url = environ.get("KETACARE_PUBLIC_URL", "").strip()
    if not url:
        problems.append(
            f"KETACARE_PUBLIC_URL {REQUIRED} (the https:// address patients' links point to)"
        )
    else:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            problems.append(
                f"KETACARE_PUBLIC_URL must be an absolute http(s) URL, e.g. "
                f"https://care.example.org (got {url!r})"
            )
    if dev_audit_key:
        problems.append(f"KETACARE_AUDIT_ANCHOR_KEY (or KETACARE_AUDIT_ANCHOR_KEY_FILE) {REQUIRED}")
    return problems
