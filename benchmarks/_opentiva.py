"""A side environment with opentiva 1.1.2, the independent implementation of the racemic
ketamine IV models. Its C extension builds only on Python ≤ 3.10, so the environment uses
pyenv's 3.10 or `python3.10` on PATH, and is None where no Python 3.10 exists; callers
skip with `UNAVAILABLE`. It lives in the user's cache (`~/.cache/ketacare/opentiva-1.1.2`,
or `KETACARE_OPENTIVA_VENV`), outside the checkout, so that it is built once per machine
rather than once per clone: building it takes about half a minute.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
VENV = Path(os.environ.get("KETACARE_OPENTIVA_VENV") or CACHE / "ketacare" / "opentiva-1.1.2")
SCRIPT = Path(__file__).with_name("opentiva_cp.py")
UNAVAILABLE = (
    "opentiva 1.1.2 needs Python ≤ 3.10 and a package index to install from; "
    "no python3.10 was found (pyenv or PATH), or installing opentiva failed"
)
MODEL_NAMES = {
    "domino": "Domino",
    "clements": "Clements250",
    "hijazi": "Hijazi",
    "kamp2020": "Klamp",
}


def python310() -> str | None:
    candidates = [Path.home() / ".pyenv/versions/3.10.13/bin/python", shutil.which("python3.10")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            try:
                subprocess.run(  # noqa: S603 - a local interpreter, fixed arguments
                    [str(candidate), "--version"], check=True, capture_output=True
                )
            except (OSError, subprocess.CalledProcessError):
                continue
            return str(candidate)
    return None


def environment() -> Path | None:
    """The side environment's python, built on first use; None where it cannot be."""
    python = VENV / "bin" / "python"
    ready = VENV / ".opentiva-ok"
    if ready.exists():
        return python
    base = python310()
    if base is None:
        return None
    try:
        subprocess.run([base, "-m", "venv", str(VENV)], check=True)  # noqa: S603 - fixed arguments
        subprocess.run(  # noqa: S603 - fixed arguments
            [str(python), "-m", "pip", "install", "--quiet", "opentiva==1.1.2", "scipy"],
            check=True,
        )
    except subprocess.CalledProcessError:
        shutil.rmtree(VENV, ignore_errors=True)  # no half-built environment next time
        return None
    ready.touch()
    return python


def run(scenario: dict[str, object]) -> dict[str, dict[str, object]]:
    python = environment()
    if python is None:
        raise RuntimeError(UNAVAILABLE)
    completed = subprocess.run(  # noqa: S603 - our own script in the side environment
        [str(python), "-W", "ignore", str(SCRIPT)],
        input=json.dumps(scenario),
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, dict[str, object]] = json.loads(completed.stdout)
    return result


if __name__ == "__main__":
    print(environment() or UNAVAILABLE, file=sys.stderr)
