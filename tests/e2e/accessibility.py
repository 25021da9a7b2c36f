"""Pages pass axe-core with no critical or serious violation.

axe-core ships inside the `axe-playwright-python` package (no download at test time).
`serious_violations(page)` names each failing rule and the first few elements it failed on,
so a failure says what to fix.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

AXE = Axe()
BLOCKING = ("critical", "serious")


def serious_violations(page: Page) -> list[str]:
    """Each critical or serious axe-core violation on the page as it is now."""
    violations: list[dict[str, Any]] = AXE.run(page).response["violations"]
    return [
        f"{page.url}: {v['id']} ({v['impact']}) {v['help']}: "
        + "; ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in violations
        if v["impact"] in BLOCKING
    ]


def assert_accessible(page: Page) -> None:
    assert serious_violations(page) == []
