"""Serve Plotly's JavaScript from the installed `plotly` package, never from a CDN.

The finder exposes exactly one file, plotly/package_data/plotly.min.js, as the static
path vendor/plotly.min.js. collectstatic copies it like any other static file, and
WhiteNoise serves it from the finders in development and tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage

PREFIX = "vendor"
FILENAME = "plotly.min.js"
STATIC_PATH = f"{PREFIX}/{FILENAME}"


def plotly_js_path() -> Path:
    return Path(plotly.__file__).resolve().parent / "package_data" / FILENAME


class PlotlyFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(plotly_js_path().parent))
        self.storage.prefix = PREFIX  # type: ignore[attr-defined]  # read by collectstatic

    def check(self, **kwargs: Any) -> list[Any]:
        if not plotly_js_path().is_file():
            return [
                Error(
                    f"{plotly_js_path()} is missing; reinstall the plotly package.",
                    id="ketacare.E001",
                )
            ]
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        if path != STATIC_PATH:
            return [] if find_all or kwargs.get("all") else ""
        found = str(plotly_js_path())
        return [found] if find_all or kwargs.get("all") else found

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        yield FILENAME, self.storage
