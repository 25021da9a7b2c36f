"""Plotly's JavaScript comes from the installed plotly package, served as a static file:
nothing is loaded from a CDN."""

from __future__ import annotations

from pathlib import Path

import plotly
import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client

from ketacare.web.staticfinders import PlotlyFinder

PACKAGED = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def test_the_finder_exposes_only_the_packaged_plotly_file() -> None:
    assert finders.find("vendor/plotly.min.js") == str(PACKAGED)
    finder = PlotlyFinder()
    assert [path for path, _storage in finder.list(None)] == ["plotly.min.js"]
    ((_path, storage),) = finder.list(None)
    assert storage.prefix == "vendor"  # type: ignore[attr-defined]
    assert not finder.find("vendor/plotly.js")
    assert not finder.find("plotly.min.js")
    assert finder.find("vendor/plotly.min.js", find_all=True) == [str(PACKAGED)]
    assert finder.check() == []


@pytest.mark.django_db
def test_plotly_is_served_from_the_static_url() -> None:
    url = static("vendor/plotly.min.js")
    assert url == "/static/vendor/plotly.min.js"

    response = Client().get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith(("text/javascript", "application/javascript"))
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body == PACKAGED.read_bytes()
    assert b"plotly.js v" in body[:500]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["ketacare/charts.js", "ketacare/selfreport.js"])
def test_the_page_scripts_are_served(name: str) -> None:
    response = Client().get(static(name))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert b"http://" not in body and b"https://" not in body
