"""Validate compose.yaml without Docker: against the Compose Specification's JSON schema
(deploy/compose-spec.json, from github.com/compose-spec/compose-spec, Apache-2.0, commit
170098ba07d9, 2026-06-23), after the interpolation Compose does, plus the references a
schema cannot check (services, secrets and volumes that are used are defined).

    python deploy/check_compose.py compose.yaml        # exit 1 with the problems
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

HERE = Path(__file__).resolve().parent
SCHEMA = HERE / "compose-spec.json"
# Values for the variables compose.yaml requires, as an operator would set them.
SAMPLE_ENV = {"KETACARE_DOMAIN": "care.example.org", "ACME_EMAIL": "ops@example.org"}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$\$")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $$."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        present = name in env and (env[name] != "" or not (op or "").startswith(":"))
        if op and op.endswith("?") and not present:
            raise ValueError(f"{name}: {arg or 'required'}")
        if op and op.endswith("-") and not present:
            return arg
        return env.get(name, "")

    return _VAR.sub(one, value)


def problems(path: Path, env: dict[str, str]) -> list[str]:
    document = yaml.safe_load(path.read_text())
    try:
        document = interpolate(document, env)
    except ValueError as exc:
        return [f"interpolation: {exc}"]
    # x- extension keys are allowed by the schema; drop them like Compose's model does.
    document = {k: v for k, v in document.items() if not k.startswith("x-")}
    schema = json.loads(SCHEMA.read_text())
    found = [
        f"{'/'.join(str(p) for p in error.instance_path) or '(top)'}: {error.message}"
        for error in jsonschema_rs.validator_for(schema).iter_errors(document)
    ]
    services: dict[str, Any] = document.get("services", {})
    for name, service in services.items():
        depends = service.get("depends_on", {})
        for other in depends if isinstance(depends, (dict, list)) else []:
            if other not in services:
                found.append(f"services/{name}/depends_on: no service {other!r}")
        for secret in service.get("secrets", []):
            secret_name = secret if isinstance(secret, str) else secret.get("source")
            if secret_name not in document.get("secrets", {}):
                found.append(f"services/{name}/secrets: no secret {secret_name!r}")
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source")
            if (
                source
                and not source.startswith((".", "/"))
                and source not in document.get("volumes", {})
            ):
                found.append(f"services/{name}/volumes: no volume {source!r}")
    return found


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "compose.yaml")
    found = problems(path, SAMPLE_ENV)
    for problem in found:
        print(f"{path}: {problem}")
    if not found:
        print(f"{path}: valid (Compose Specification schema; references resolve)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
