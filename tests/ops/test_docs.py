"""Every KETACARE_* variable the code reads is documented in docs/configuration.md, and
the release files are in place."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_variable_is_documented() -> None:
    named = set()
    for path in (ROOT / "ketacare").rglob("*.py"):
        named |= set(re.findall(r"[\"'](KETACARE_[A-Z0-9_]+)[\"']", path.read_text()))
    documented = set(
        re.findall(r"`(KETACARE_[A-Z0-9_]+)`", (ROOT / "docs/configuration.md").read_text())
    )
    assert named - documented == set()


def test_the_licence_is_the_agpl_that_pyproject_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": "AGPL-3.0-or-later"}
    licence = (ROOT / "LICENSE").read_text()
    assert licence.lstrip().startswith("GNU AFFERO GENERAL PUBLIC LICENSE")
    assert "Version 3, 19 November 2007" in licence
    assert "13. Remote Network Interaction; Use with the GNU General Public License." in licence


def test_the_changelog_has_the_current_version() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert f"## [{version}]" in (ROOT / "CHANGELOG.md").read_text()
