"""docs/permissions.md shows the policy's matrix exactly, so the doc cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

from ketacare.accounts.policy import ROLE_LABELS, Permission, Role, permission_matrix

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
Matrix = list[tuple[Permission, dict[Role, bool]]]


def _cells(line: str) -> list[str]:
    assert line.startswith("|") and line.endswith("|"), f"not a table row: {line!r}"
    return [cell.strip() for cell in line[1:-1].split("|")]


def parse_matrix(text: str) -> Matrix:
    """The table whose header starts with `| Permission |`, as (permission, {role: allowed})."""
    lines = [line.strip() for line in text.splitlines()]
    start = next(i for i, line in enumerate(lines) if _is_matrix_header(line))
    header = _cells(lines[start])
    roles_by_label = {label: role for role, label in ROLE_LABELS.items()}
    unknown = [label for label in header[1:] if label not in roles_by_label]
    assert not unknown, f"columns that are not role labels: {unknown}"
    roles = [roles_by_label[label] for label in header[1:]]
    assert re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[start + 1]), "missing separator row"

    rows: Matrix = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        first, *marks = _cells(line)
        code = re.fullmatch(r"`([a-z_]+)`", first)
        assert code, f"permission cell must be a `code`: {first!r}"
        assert len(marks) == len(roles), f"{first}: {len(marks)} cells for {len(roles)} roles"
        assert set(marks) <= {"✓", ""}, f"{first}: cells must be ✓ or blank: {marks}"
        rows.append(
            (Permission(code.group(1)), {r: m == "✓" for r, m in zip(roles, marks, strict=True)})
        )
    return rows


def _is_matrix_header(line: str) -> bool:
    return line.startswith("|") and _cells(line)[0] == "Permission"


def test_permissions_doc_matrix_equals_the_policy() -> None:
    documented = parse_matrix(DOC.read_text(encoding="utf-8"))
    # Same permissions in the same order, and for each the same roles in the same order.
    assert [perm for perm, _ in documented] == [perm for perm, _ in permission_matrix()]
    for (perm, allowed), (_, expected) in zip(documented, permission_matrix(), strict=True):
        assert list(allowed) == list(Role), f"{perm}: columns are not the roles in order"
        assert allowed == expected, f"{perm} differs from policy.ROLE_PERMISSIONS"


def test_parser_notices_a_changed_cell() -> None:
    text = DOC.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| `edit_clinical` |"))
    # Give the therapist edit_clinical in the doc only (the fourth role column).
    cells = row.split("|")
    cells[5] = " ✓ "
    tampered = text.replace(row, "|".join(cells))
    assert tampered != text
    assert parse_matrix(tampered) != permission_matrix()
