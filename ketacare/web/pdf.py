"""HTML to PDF with WeasyPrint (Debian's Pango underneath: `make pango`).

Documents are self-contained (inline CSS, no images), and the fetcher refuses every URL,
so rendering never reaches the network or the file system."""

from __future__ import annotations

from typing import Any


def _refuse(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"PDF documents load nothing: {url}")


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported on use: it loads Pango

    pdf = HTML(string=html, url_fetcher=_refuse).write_pdf()
    assert pdf is not None
    return bytes(pdf)
