"""The scoring core must not depend on Django, directly or through other ketacare modules.

Read with ast (Django is already imported in the test process), and confirmed by
importing the package in a fresh interpreter.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import ketacare

ROOT = Path(ketacare.__file__).resolve().parent.parent
MEASURES = ROOT / "ketacare" / "measures"
PURE_FILES = sorted(
    [MEASURES / "__init__.py", MEASURES / "scoring.py", *(MEASURES / "instruments").glob("*.py")]
)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    parts = path.relative_to(ROOT).with_suffix("").parts
    package = ".".join(parts[:-1])
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def module_file(name: str) -> Path | None:
    candidate = ROOT / Path(*name.split("."))
    for path in (candidate.with_suffix(".py"), candidate / "__init__.py"):
        if path.is_file():
            return path
    return None


def reachable_files(start: Path) -> dict[Path, set[str]]:
    """Each ketacare file reached from `start` (parents' __init__ included) -> its imports."""
    found: dict[Path, set[str]] = {}
    todo = [start]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found[current] = imported_modules(current)
        for name in found[current]:
            if name.split(".")[0] != "ketacare":
                continue
            parts = name.split(".")
            # Importing a.b.c runs a/__init__.py and a/b/__init__.py as well.
            for depth in range(1, len(parts) + 1):
                target = module_file(".".join(parts[:depth]))
                if target is not None:
                    todo.append(target)
    return found


@pytest.mark.parametrize("path", PURE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_scoring_module_imports_only_stdlib_and_the_scoring_core(path: Path) -> None:
    allowed = set(PURE_FILES) | {ROOT / "ketacare" / "__init__.py"}
    for file, names in reachable_files(path).items():
        assert file in allowed, f"{path.name} reaches {file.relative_to(ROOT)}"
        for name in names:
            top = name.split(".")[0]
            assert top in {"__future__", "ketacare"} or top in sys.stdlib_module_names, (
                f"{file.relative_to(ROOT)} imports {name}"
            )


def test_the_checker_sees_django_imports() -> None:
    # Guard against the check passing vacuously.
    names = set().union(*reachable_files(ROOT / "ketacare/patients/services.py").values())
    assert any(name.startswith("django") for name in names)


def test_every_instrument_module_is_checked() -> None:
    assert {p.name for p in PURE_FILES} >= {
        "__init__.py",
        "scoring.py",
        "base.py",
        "phq9.py",
        "gad7.py",
        "qids_sr16.py",
        "madrs.py",
        "hamd17.py",
        "cadss.py",
        "pcl5.py",
        "cssrs_screen.py",
    }


def test_importing_the_package_loads_no_django() -> None:
    code = (
        "import sys, ketacare.measures as m; "
        "m.score('phq9', [0] * 9 + [None]); "
        "bad = sorted(n for n in sys.modules if n.split('.')[0] == 'django'); "
        "print(bad); raise SystemExit(1 if bad else 0)"
    )
    run = subprocess.run(  # noqa: S603 (fixed arguments)
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
