"""Screens speak to clinicians and patients: what a page shows must not read as developer text.

`developer_text(text)` finds, in the words a page shows (not its markup, attributes or
code blocks): references to the project's reference files ("clinical.md §4.2", "[NF]"),
raw codes ("iv_ketamine", "3_per_week", "QIDS_SR16") and unrounded figures
("9.972222222222221 days"). `crawl` walks a signed-in user's pages from a start page,
following links and htmx loads inside the clinic, a couple of pages per kind of URL.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.test import Client

REFERENCE_FILE = re.compile(r"\b\w+\.md\b|\[(?:V|S|NF|U)\]")
RAW_CODE = re.compile(r"\b[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+\b")
# Three or more decimals and more than four significant digits: 9.9722 or 147.333, not
# 0.0109, 0.5921 or a document version such as 2026.1.
UNROUNDED = re.compile(r"(?<![\w.])(?=(?:0\.0*)?[1-9](?:\.?\d){4})\d+\.\d{3,}(?![\d]|\.\d)")
PROBLEMS = (
    ("reference file", REFERENCE_FILE),
    ("raw code", RAW_CODE),
    ("unrounded figure", UNROUNDED),
)
# Text inside these is code or machinery, not words for people.
HIDDEN_TAGS = {"script", "style", "code", "pre", "template", "textarea"}
VOID_TAGS = {"br", "hr", "img", "input", "meta", "link", "source", "wbr", "col", "area"}


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden_depth = 0
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "hx-get") and value:
                self.links.append(value)
        if tag in HIDDEN_TAGS:
            self.hidden_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_TAGS and self.hidden_depth:
            self.hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            self.parts.append(data)


def visible_text(html: str) -> tuple[str, list[str]]:
    """The words a page shows, and the links (href, hx-get) it holds."""
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split()), parser.links


def developer_text(text: str) -> list[str]:
    """Each piece of developer text in `text`, with what kind it is."""
    return [f"{kind}: {m.group(0)!r}" for kind, pattern in PROBLEMS for m in pattern.finditer(text)]


@dataclass
class Walk:
    pages: list[str] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)


SKIP = re.compile(r"\.(pdf|csv|ics|json)$|/export|/download|/logout|/sign-?out|/api/")
ID = re.compile(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+")


def _kind(path: str) -> str:
    """Pages of one kind share a URL shape: ids and query values do not matter."""
    return ID.sub("#", path.split("?")[0])


def crawl(client: Client, start: str, inside: str, per_kind: int = 2) -> Walk:
    """Visit pages under `inside` reachable from `start`; `per_kind` of each URL shape."""
    walk, seen, kinds = Walk(), {start}, Counter[str]()
    queue = [start]
    while queue:
        path = queue.pop(0)
        response = client.get(path, follow=True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        walk.pages.append(path)
        text, links = visible_text(response.content.decode())
        if found := developer_text(text):
            walk.problems[path] = found
        for link in _same_clinic(links, path, inside):
            if link not in seen and kinds[_kind(link)] < per_kind:
                seen.add(link)
                kinds[_kind(link)] += 1
                queue.append(link)
    return walk


def _same_clinic(links: list[str], here: str, inside: str) -> Iterator[str]:
    for link in links:
        link = link.split("#")[0]
        if link.startswith("?"):
            link = here.split("?")[0] + link
        if link.startswith(inside) and not SKIP.search(link):
            yield link
