"""Instrument data: the public API surface and the facts from instruments.md."""

from __future__ import annotations

import dataclasses

import pytest

import ketacare.measures as measures
from ketacare.measures import (
    INSTRUMENTS,
    AnswerOption,
    Band,
    Instrument,
    Item,
    ScoringError,
    default_config,
    get_instrument,
)
from ketacare.measures.instruments import Setting

CODES = ["phq9", "gad7", "qids_sr16", "madrs", "hamd17", "cadss", "cadss6", "pcl5", "cssrs_screen"]


def test_public_api_is_reexported() -> None:
    for name in (
        "score",
        "ScoringError",
        "ScoreResult",
        "SafetyFinding",
        "Instrument",
        "Item",
        "AnswerOption",
        "Band",
        "INSTRUMENTS",
        "get_instrument",
        "default_config",
    ):
        assert hasattr(measures, name), name
    assert issubclass(ScoringError, ValueError)


def test_all_nine_instruments_are_registered_under_their_codes() -> None:
    assert sorted(INSTRUMENTS) == sorted(CODES)
    for code, instrument in INSTRUMENTS.items():
        assert instrument.code == code
        assert get_instrument(code) is instrument


def test_get_instrument_rejects_an_unknown_code() -> None:
    with pytest.raises(ScoringError, match=r"unknown instrument 'phq10'") as caught:
        get_instrument("phq10")
    assert caught.value.item is None


def test_result_and_data_types_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_instrument("phq9").version = "2"  # type: ignore[misc]
    result = measures.score("gad7", [0] * 7)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.total = 3  # type: ignore[misc]


@pytest.mark.parametrize("code", CODES)
def test_every_instrument_has_version_sources_and_a_known_licence(code: str) -> None:
    instrument = get_instrument(code)
    assert instrument.version and len(instrument.version) <= 20
    assert instrument.sources and all(instrument.sources)
    assert instrument.licence_note and instrument.recall and instrument.preamble
    assert instrument.respondent in ("patient", "clinician")


@pytest.mark.parametrize(
    ("code", "licence", "full_wording", "respondent"),
    [
        ("phq9", "free_with_copyright", True, "patient"),
        ("gad7", "free_with_copyright", True, "patient"),
        ("qids_sr16", "paper_free_electronic_unclear", False, "patient"),
        ("madrs", "licence_required", False, "clinician"),
        ("hamd17", "not_covered", False, "clinician"),
        ("cadss", "not_covered", False, "clinician"),
        ("cadss6", "not_covered", False, "clinician"),
        ("pcl5", "public_domain", True, "patient"),
        ("cssrs_screen", "electronic_sublicence_required", False, "clinician"),
    ],
)
def test_licence_decides_what_is_shipped(
    code: str, licence: str, full_wording: bool, respondent: str
) -> None:
    instrument = get_instrument(code)
    assert instrument.licence == licence
    assert instrument.full_wording is full_wording
    assert instrument.respondent == respondent
    texts = [item.text for item in instrument.items]
    if full_wording:
        assert all(texts)
    else:
        assert texts == [None] * len(texts)
    assert all(item.label for item in instrument.items)


def test_cssrs_licence_note_is_prominent() -> None:
    note = get_instrument("cssrs_screen").licence_note
    assert note.startswith("LICENCE REQUIRED FOR ELECTRONIC USE")
    assert "Clario" in note and "sublicence" in note


@pytest.mark.parametrize(
    ("code", "count", "low", "high", "total_range"),
    [
        ("phq9", 10, 0, 3, (0, 27)),
        ("gad7", 7, 0, 3, (0, 21)),
        ("qids_sr16", 16, 0, 3, (0, 27)),
        ("madrs", 10, 0, 6, (0, 60)),
        ("hamd17", 17, 0, 4, (0, 52)),
        ("cadss", 23, 0, 4, (0, 92)),
        ("cadss6", 6, 0, 4, (0, 24)),
        ("pcl5", 20, 0, 4, (0, 80)),
    ],
)
def test_item_counts_and_ranges(
    code: str, count: int, low: int, high: int, total_range: tuple[int, int]
) -> None:
    instrument = get_instrument(code)
    assert len(instrument.items) == count
    assert min(item.low for item in instrument.items) == low
    assert max(item.high for item in instrument.items) == high
    assert instrument.total_range == total_range
    assert [item.number for item in instrument.items] == list(range(1, count + 1))


def test_hamd17_item_ranges() -> None:
    highs = {item.number: item.high for item in get_instrument("hamd17").items}
    assert [n for n, h in highs.items() if h == 4] == [1, 2, 3, 7, 8, 9, 10, 11, 15]
    assert [n for n, h in highs.items() if h == 2] == [4, 5, 6, 12, 13, 14, 16, 17]
    labels = [item.label.lower() for item in get_instrument("hamd17").items]
    assert labels[2] == "suicide" and labels[0] == "depressed mood" and labels[16] == "insight"


def test_madrs_labels_follow_strokengine() -> None:
    labels = [item.label.lower() for item in get_instrument("madrs").items]
    assert labels == [
        "apparent sadness",
        "reported sadness",
        "inner tension",
        "reduced sleep",
        "reduced appetite",
        "concentration difficulties",
        "lassitude",
        "inability to feel",
        "pessimistic thoughts",
        "suicidal thoughts",
    ]


def test_phq9_loinc_codes() -> None:
    phq9 = get_instrument("phq9")
    assert (phq9.loinc_panel, phq9.loinc_total) == ("44249-1", "44261-6")
    assert [item.loinc for item in phq9.items] == [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
        "69722-7",
    ]
    for item in phq9.items[:9]:
        assert item.answer_list == "LL358-3"
        assert [(o.value, o.loinc_answer) for o in item.options] == [
            (0, "LA6568-5"),
            (1, "LA6569-3"),
            (2, "LA6570-1"),
            (3, "LA6571-9"),
        ]
        assert [o.label for o in item.options] == [
            "Not at all",
            "Several days",
            "More than half the days",
            "Nearly every day",
        ]


def test_phq9_item10_is_unscored_optional_with_the_lhc_answer_codes() -> None:
    item10 = get_instrument("phq9").items[9]
    assert (item10.scored, item10.required, item10.answer_list) == (False, False, "LL359-1")
    assert [(o.value, o.label, o.loinc_answer) for o in item10.options] == [
        (0, "Not difficult at all", "LA6572-7"),
        (1, "Somewhat difficult", "LA6573-5"),
        (2, "Very difficult", "LA6575-0"),
        (3, "Extremely difficult", "LA6574-3"),
    ]
    assert [item.number for item in get_instrument("phq9").scored_items] == list(range(1, 10))


def test_phq9_item9_wording() -> None:
    item9 = get_instrument("phq9").items[8]
    assert item9.key == "phq9_9"
    assert item9.text is not None and "better off dead" in item9.text


def test_gad7_loinc_codes_and_item2_answer_quirk() -> None:
    gad7 = get_instrument("gad7")
    assert (gad7.loinc_panel, gad7.loinc_total) == ("69737-5", "70274-6")
    assert [item.loinc for item in gad7.items] == [
        "69725-0",
        "68509-9",
        "69733-4",
        "69734-2",
        "69735-9",
        "69689-8",
        "69736-7",
    ]
    two = {item.number: item.option(2).loinc_answer for item in gad7.items}
    assert two == {1: "LA6570-1", 2: "LA18938-3", **{n: "LA6570-1" for n in range(3, 8)}}
    assert "irritable" in (gad7.items[5].text or "") and "afraid" in (gad7.items[6].text or "")


@pytest.mark.parametrize("code", ["qids_sr16", "madrs", "hamd17", "cadss", "cadss6", "pcl5"])
def test_unverified_or_missing_loinc_codes_are_not_shipped(code: str) -> None:
    instrument = get_instrument(code)
    assert instrument.loinc_panel is None and instrument.loinc_total is None
    assert all(item.loinc is None for item in instrument.items)
    assert instrument.loinc_note


def test_pcl5_and_cssrs_loinc_candidates_are_noted_not_used() -> None:
    assert "91006-2" in get_instrument("pcl5").loinc_note
    assert "[U]" in get_instrument("pcl5").loinc_note
    note = get_instrument("cssrs_screen").loinc_note
    assert "93373-9" in note and "73831-0" in note
    assert get_instrument("cssrs_screen").loinc_panel is None


def test_pcl5_wording_and_options() -> None:
    pcl5 = get_instrument("pcl5")
    assert [o.label for o in pcl5.items[0].options] == [
        "Not at all",
        "A little bit",
        "Moderately",
        "Quite a bit",
        "Extremely",
    ]
    assert pcl5.items[0].text is not None and pcl5.items[0].text.startswith("Repeated, disturbing")
    assert pcl5.items[19].text == "Trouble falling or staying asleep?"
    assert {s.key: s.items for s in pcl5.subscores} == {
        "B": (1, 2, 3, 4, 5),
        "C": (6, 7),
        "D": (8, 9, 10, 11, 12, 13, 14),
        "E": (15, 16, 17, 18, 19, 20),
    }


def test_cadss6_records_its_source_items_and_validation_status() -> None:
    cadss6 = get_instrument("cadss6")
    assert [item.source_item for item in cadss6.items] == [1, 2, 6, 7, 15, 22]
    assert any("not validated prospectively" in note.lower() for note in cadss6.notes)
    assert cadss6.bands == () and cadss6.flags == ()


def test_cssrs_items_and_skip_conditions() -> None:
    cssrs = get_instrument("cssrs_screen")
    assert [item.key for item in cssrs.items] == [
        "cssrs_1",
        "cssrs_2",
        "cssrs_3",
        "cssrs_4",
        "cssrs_5",
        "cssrs_6",
        "cssrs_6b",
    ]
    assert [item.asked_when for item in cssrs.items] == [
        None,
        None,
        ("cssrs_2", True),
        ("cssrs_2", True),
        ("cssrs_2", True),
        None,
        ("cssrs_6", True),
    ]
    assert all(item.boolean and set(item.values) == {True, False} for item in cssrs.items)
    assert cssrs.total_range is None and cssrs.bands == ()


def test_qids_domains() -> None:
    domains = {s.key: (s.items, s.rule) for s in get_instrument("qids_sr16").subscores}
    assert domains == {
        "sleep": ((1, 2, 3, 4), "max"),
        "sad_mood": ((5,), "max"),
        "appetite_weight": ((6, 7, 8, 9), "max"),
        "concentration": ((10,), "max"),
        "self_view": ((11,), "max"),
        "suicidal_ideation": ((12,), "max"),
        "interest": ((13,), "max"),
        "energy": ((14,), "max"),
        "psychomotor": ((15, 16), "max"),
    }


# --- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("phq9", {"suicidal_ideation_threshold": 1}),
        ("gad7", {}),
        (
            "qids_sr16",
            {"suicidal_ideation_threshold": 1, "suicidal_ideation_high_threshold": 2},
        ),
        ("madrs", {"bands": "snaith", "suicidal_ideation_threshold": 2}),
        ("hamd17", {"suicidal_ideation_threshold": 1, "suicidal_ideation_high_threshold": 3}),
        ("cadss", {"dissociation_threshold": 4}),
        ("cadss6", {}),
        ("pcl5", {"probable_ptsd_cutoff": 33}),
        ("cssrs_screen", {}),
    ],
)
def test_default_config_is_exactly_the_configurable_settings(
    code: str, expected: dict[str, object]
) -> None:
    assert default_config(code) == expected
    instrument = get_instrument(code)
    assert set(expected) == {s.key for s in instrument.settings if s.configurable}
    # A fresh dict each time: callers may change it.
    default_config(code)["x"] = 1
    assert "x" not in default_config(code)


def test_default_config_rejects_an_unknown_instrument() -> None:
    with pytest.raises(ScoringError, match="unknown instrument"):
        default_config("beck")


def test_published_rules_are_recorded_but_not_configurable() -> None:
    endorsed = get_instrument("pcl5").setting("endorsed_at")
    assert (endorsed.default, endorsed.configurable) == (2, False)
    assert "endorsed_at" not in default_config("pcl5")


@pytest.mark.parametrize("code", CODES)
def test_every_setting_cites_its_source_and_clinical_choices_are_configurable(code: str) -> None:
    for setting in get_instrument(code).settings:
        assert isinstance(setting, Setting)
        assert setting.source and setting.basis and setting.description
        if "clinical choice" in setting.basis:
            assert setting.configurable, setting.key


def test_clinical_choice_thresholds_are_marked_as_such() -> None:
    for code, key in [
        ("qids_sr16", "suicidal_ideation_threshold"),
        ("qids_sr16", "suicidal_ideation_high_threshold"),
        ("madrs", "suicidal_ideation_threshold"),
        ("hamd17", "suicidal_ideation_threshold"),
        ("hamd17", "suicidal_ideation_high_threshold"),
    ]:
        assert get_instrument(code).setting(key).basis == "clinical choice", (code, key)
    madrs = get_instrument("madrs").setting("suicidal_ideation_threshold")
    assert "suicide considered as a possible solution" in madrs.description
    assert "post hoc" in get_instrument("cadss").setting("dissociation_threshold").basis
    assert "31-33" in get_instrument("pcl5").setting("probable_ptsd_cutoff").source


@pytest.mark.parametrize("code", CODES)
def test_safety_flags_are_declared(code: str) -> None:
    declared = {rule.flag: rule.safety for rule in get_instrument(code).flags}
    expected = {
        "phq9": {"suicidal_ideation": True},
        "gad7": {},
        "qids_sr16": {"suicidal_ideation": True},
        "madrs": {"suicidal_ideation": True},
        "hamd17": {"suicidal_ideation": True},
        "cadss": {"dissociation": False},
        "cadss6": {},
        "pcl5": {"probable_ptsd": False},
        "cssrs_screen": {"suicide_risk_high": True, "suicide_risk_moderate": True},
    }[code]
    assert declared == expected


# --- the data checks itself ------------------------------------------------------------------


def _gad7_with(**changes: object) -> Instrument:
    return dataclasses.replace(get_instrument("gad7"), **changes)  # type: ignore[arg-type]


def test_instrument_data_with_a_band_gap_is_rejected() -> None:
    bands = (Band("a", "A", 0, 4, "s"), Band("b", "B", 6, 21, "s"))
    with pytest.raises(ValueError, match="gap or overlap"):
        _gad7_with(bands=bands)


def test_instrument_data_with_overlapping_bands_is_rejected() -> None:
    bands = (Band("a", "A", 0, 5, "s"), Band("b", "B", 5, 21, "s"))
    with pytest.raises(ValueError, match="gap or overlap"):
        _gad7_with(bands=bands)


def test_instrument_data_with_bands_short_of_the_range_is_rejected() -> None:
    with pytest.raises(ValueError, match="ends of the total range"):
        _gad7_with(bands=(Band("a", "A", 0, 20, "s"),))


def test_instrument_data_with_a_wrong_total_range_is_rejected() -> None:
    with pytest.raises(ValueError, match="total_range"):
        _gad7_with(total_range=(0, 20), bands=())


def test_instrument_data_with_a_forward_skip_condition_is_rejected() -> None:
    gad7 = get_instrument("gad7")
    items = list(gad7.items)
    items[0] = dataclasses.replace(items[0], asked_when=("gad7_2", True))
    with pytest.raises(ValueError, match="earlier item"):
        _gad7_with(items=tuple(items))


def test_instrument_data_with_gapped_options_is_rejected() -> None:
    options = (AnswerOption(0, "a"), AnswerOption(2, "b"))
    item = Item(1, "x_1", "x", None, options)
    with pytest.raises(ValueError, match="consecutive"):
        _gad7_with(items=(item,), full_wording=False, total_range=(0, 2), bands=())
