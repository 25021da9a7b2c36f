"""The Spanish catalogue covers the patient's side, and the compiled catalogue is current.

Django's makemessages runs into a copy of the catalogue (the repository is not touched);
polib reads the result. Every string marked in a patient-facing file
(ketacare.patients.language.PATIENT_FACING) must have a Spanish translation that is not
fuzzy and keeps the same placeholders. The compiled django.mo must hold exactly the
translations of the committed django.po."""

from __future__ import annotations

import contextlib
import re
import shutil
from pathlib import Path

import polib  # type: ignore[import-untyped]  # no stubs shipped
import pytest
from django.core.management import call_command
from django.test import override_settings

from ketacare.patients.language import PATIENT_FACING

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "ketacare" / "locale"
SPANISH = LOCALE / "es" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def _patient_facing(entry: polib.POEntry) -> bool:
    return any(path.startswith(PATIENT_FACING) for path, _line in entry.occurrences)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> polib.POFile:
    # makemessages writes into every `locale` folder it walks past, so it runs over a copy
    # of the package: the repository's catalogue is never touched.
    copy = tmp_path_factory.mktemp("tree")
    shutil.copytree(ROOT / "ketacare", copy / "ketacare", ignore=shutil.ignore_patterns("*.pyc"))
    target = copy / "ketacare" / "locale"
    with contextlib.chdir(copy), override_settings(LOCALE_PATHS=[str(target)]):
        call_command(
            "makemessages",
            locale=["es"],
            add_location="file",
            no_obsolete=True,
            verbosity=0,
        )
    return polib.pofile(str(target / "es" / "LC_MESSAGES" / "django.po"))


def test_makemessages_finds_no_untranslated_patient_facing_string(fresh: polib.POFile) -> None:
    patient_side = [e for e in fresh if _patient_facing(e)]
    assert len(patient_side) > 150  # the link pages, consent documents and messages
    missing = [e.msgid for e in patient_side if not e.translated()]
    assert missing == []


def test_every_patient_facing_translation_keeps_its_placeholders(fresh: polib.POFile) -> None:
    for entry in filter(_patient_facing, fresh):
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        if entry.msgid_plural:
            translations = list(entry.msgstr_plural.values())
            # "One answer…" needs no number in the singular; the plural names it.
            assert sorted(PLACEHOLDER.findall(translations[-1])) == sorted(
                PLACEHOLDER.findall(entry.msgid_plural)
            ), entry.msgid
        else:
            assert sorted(PLACEHOLDER.findall(entry.msgstr)) == expected, entry.msgid


def test_the_compiled_catalogue_matches_the_committed_one() -> None:
    source = polib.pofile(str(SPANISH / "django.po"))
    compiled = polib.mofile(str(SPANISH / "django.mo"))

    def pairs(catalogue: polib._BaseFile) -> dict[tuple[str, str], object]:
        """Each translated message: its Spanish, or its Spanish forms by plural index."""
        return {
            (e.msgctxt or "", e.msgid): e.msgstr or {int(k): v for k, v in e.msgstr_plural.items()}
            for e in catalogue
            if e.msgid and (e.msgstr or any(e.msgstr_plural.values())) and "fuzzy" not in e.flags
        }

    assert pairs(compiled) == pairs(source)
