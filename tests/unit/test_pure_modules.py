"""The pure core must not depend on Django, directly or through other ketacare modules.

Checked by reading the source with ast rather than importing it: Django is already
imported in the test process, so an import-time check could not tell.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import ketacare

ROOT = Path(ketacare.__file__).resolve().parent.parent
PURE_MODULES = [
    "ketacare/patients/rules.py",
    "ketacare/patients/duplicates.py",
    "ketacare/accounts/policy.py",
    "ketacare/accounts/tokens.py",
    "ketacare/audit/chain.py",
    "ketacare/dosing/protocols.py",
    "ketacare/treatment/lifecycle.py",
    "ketacare/treatment/monitoring.py",
    "ketacare/treatment/discharge.py",
    "ketacare/treatment/validation.py",
    "ketacare/treatment/reconcile.py",
    "ketacare/outcomes/__init__.py",
    "ketacare/outcomes/data.py",
    "ketacare/outcomes/rules.py",
    "ketacare/outcomes/course.py",
    "ketacare/outcomes/maintenance.py",
    "ketacare/outcomes/trajectories.py",
    "ketacare/eligibility/rules.py",
    "ketacare/eligibility/history.py",
    "ketacare/eligibility/medicines.py",
    "ketacare/eligibility/screening.py",
    "ketacare/pharmacology/models.py",
    "ketacare/pharmacology/regimens.py",
    "ketacare/pharmacology/effect.py",
    "ketacare/pharmacology/engine.py",
    "ketacare/dosing/calculator.py",
    "ketacare/dosing/schedule.py",
    "ketacare/dosing/__init__.py",
    "ketacare/outcomes/options.py",
    "ketacare/treatment/rules.py",
    "ketacare/treatment/rems.py",
    "ketacare/ledger/core.py",
    "ketacare/consent/core.py",
    "ketacare/notes/core.py",
]
# The pharmacology engine is pure but numerical: NumPy and SciPy are allowed there.
NUMERICAL_MODULES = {"ketacare/pharmacology/"}
NUMERICAL_LIBRARIES = {"numpy", "scipy"}


def imported_modules(path: Path) -> set[str]:
    """Every module name an import statement in the file names, at any depth of the tree."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against the file's package
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


def reachable_imports(path: Path) -> dict[str, Path]:
    """Imported module name -> the file importing it, following ketacare imports."""
    seen: dict[str, Path] = {}
    todo, visited = [path], set()
    while todo:
        current = todo.pop()
        if current in visited:
            continue
        visited.add(current)
        for name in imported_modules(current):
            seen.setdefault(name, current)
            if name.split(".")[0] == "ketacare" and (target := module_file(name)):
                todo.append(target)
    return seen


@pytest.mark.parametrize("relative", PURE_MODULES)
def test_pure_module_does_not_import_django(relative: str) -> None:
    path = ROOT / relative
    assert path.is_file()
    offenders = {
        name: str(where.relative_to(ROOT))
        for name, where in reachable_imports(path).items()
        if name.split(".")[0] == "django"
    }
    assert offenders == {}


def test_the_check_sees_django_imports() -> None:
    # Guard against the checker passing vacuously.
    services = reachable_imports(ROOT / "ketacare/patients/services.py")
    assert any(name.startswith("django") for name in services)
    assert "ketacare.patients.rules" in services


@pytest.mark.parametrize("relative", PURE_MODULES)
def test_pure_module_imports_only_stdlib_and_pure_ketacare(relative: str) -> None:
    numerical = any(relative.startswith(prefix) for prefix in NUMERICAL_MODULES)
    for name in reachable_imports(ROOT / relative):
        top = name.split(".")[0]
        if top == "ketacare":
            target = module_file(name) or module_file(name.rsplit(".", 1)[0])
            assert target is not None
            assert str(target.relative_to(ROOT)) in PURE_MODULES or target.name == "__init__.py"
        elif numerical and top in NUMERICAL_LIBRARIES:
            continue
        else:
            assert top == "__future__" or top in sys.stdlib_module_names, name
