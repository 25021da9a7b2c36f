"""Every staff-facing template is marked for translation (issue #17, part 5).

A heuristic, not a parser of HTML: the template is tokenised with Django's own
lexer; tags, variables, comments, marked blocks (``blocktranslate``), ``<script>``,
``<style>``, HTML comments and the HTML tags themselves (attribute names, classes,
URLs) are blanked out, and what is left is the text a reader sees. Any word of
three or more letters left there is text nobody marked. The attributes a reader
meets (``title``, ``aria-label``, ``placeholder``, ``alt``) are checked the same
way. ``<code>``, ``<kbd>`` and ``<samp>`` hold column names and paths, not prose.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType

TEMPLATES = Path(__file__).resolve().parents[2] / "ketacare" / "web" / "templates" / "web"
PROJECT_403 = Path(__file__).resolve().parents[2] / "ketacare" / "templates" / "403.html"

# Patient-facing pages: marked for translation elsewhere (issue #17, part 5), not by this test.
PATIENT_FACING = {
    "consent/patient.html",
    "consent/pdf.html",
    "education/patient.html",
    "guides/patient.html",
}
PATIENT_FACING_FOLDERS = ("selfreport/", "portal/")

# Names that are the same in every language.
UNTRANSLATED_WORDS = {"KetaCare"}

BLANK = "\x00"
WORD = re.compile(r"[^\W\d_]{3,}")
LOADS_I18N = re.compile(r"{%\s*load\s[^%]*\bi18n\b[^%]*%}")
MARKS_TEXT = re.compile(r"{%\s*(translate|blocktranslate|trans|blocktrans)\b|\b_\(")
SHOWN_ATTRIBUTE = re.compile(r"""(?<![\w-])(?:title|aria-label|placeholder|alt)=(["'])([^"']*)\1""")


def staff_templates() -> list[str]:
    names = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if name in PATIENT_FACING or name.startswith(PATIENT_FACING_FOLDERS):
            continue
        names.append(name)
    return names


def read(name: str) -> str:
    return PROJECT_403.read_text() if name == "403.html" else (TEMPLATES / name).read_text()


def visible_text(source: str) -> tuple[str, list[str]]:
    """(text a reader sees, with everything else blanked; values of shown attributes)."""
    pieces: list[str] = []
    marked = 0  # depth inside blocktranslate / comment / verbatim
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            word = token.contents.split()[0] if token.contents else ""
            if word in {"blocktranslate", "blocktrans", "comment", "verbatim"}:
                marked += 1
            elif word in {"endblocktranslate", "endblocktrans", "endcomment", "endverbatim"}:
                marked -= 1
            pieces.append(BLANK)
        elif token.token_type == TokenType.TEXT and not marked:
            pieces.append(token.contents)
        else:
            pieces.append(BLANK)
    text = "".join(pieces)
    # Code, keys and sample output are not prose: column names, paths, placeholders.
    text = re.sub(r"<(script|style|code|kbd|samp)\b.*?</\1\s*>", BLANK, text, flags=re.S | re.I)
    text = re.sub(r"<!--.*?-->", BLANK, text, flags=re.S)
    attributes: list[str] = []

    def blank_tag(match: re.Match[str]) -> str:
        attributes.extend(m.group(2) for m in SHOWN_ATTRIBUTE.finditer(match.group(0)))
        return BLANK

    text = re.sub(r"</?[A-Za-z!][^>]*>", blank_tag, text)
    return text, attributes


def unmarked_words(text: str) -> list[str]:
    return [w for w in WORD.findall(text.replace("&nbsp;", " ")) if w not in UNTRANSLATED_WORDS]


@pytest.mark.parametrize("name", [*staff_templates(), "403.html"])
def test_staff_template_has_no_unmarked_text(name):
    source = read(name)
    text, attributes = visible_text(source)
    assert unmarked_words(text) == [], f"{name}: visible text not marked for translation"
    for value in attributes:
        assert unmarked_words(value) == [], f"{name}: attribute text not marked: {value!r}"
    if MARKS_TEXT.search(source):
        assert LOADS_I18N.search(source), f"{name}: marks text but does not load i18n"


def test_the_heuristic_finds_unmarked_text():
    text, attributes = visible_text(
        '{% load i18n %}<p class="muted" title="Open the chart">'
        '{% translate "Marked" %} Left unmarked '
        "{% blocktranslate %}Also marked {{ x }}{% endblocktranslate %}</p>"
        "<script>let notText = 1;</script>"
    )
    assert unmarked_words(text) == ["Left", "unmarked"]
    assert attributes == ["Open the chart"]


def test_the_staff_templates_are_found():
    names = staff_templates()
    assert "base.html" in names and "dashboard.html" in names
    assert not any(n.startswith("portal/") for n in names)
