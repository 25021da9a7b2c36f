"""Worked examples for every instrument, and every band boundary from both sides.

Expected values are written out from instruments.md, not read from the instrument data.
"""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.measures import SafetyFinding, score

from .builders import setting, with_total, zeros

# instruments.md bands, as (key, low, high)
BANDS: dict[tuple[str, str | None], list[tuple[str, int, int]]] = {
    ("phq9", None): [
        ("minimal", 0, 4),
        ("mild", 5, 9),
        ("moderate", 10, 14),
        ("moderately_severe", 15, 19),
        ("severe", 20, 27),
    ],
    ("gad7", None): [("minimal", 0, 4), ("mild", 5, 9), ("moderate", 10, 14), ("severe", 15, 21)],
    ("qids_sr16", None): [
        ("none", 0, 5),
        ("mild", 6, 10),
        ("moderate", 11, 15),
        ("severe", 16, 20),
        ("very_severe", 21, 27),
    ],
    ("madrs", "snaith"): [
        ("absent", 0, 6),
        ("mild", 7, 19),
        ("moderate", 20, 34),
        ("severe", 35, 60),
    ],
    ("madrs", "cutpoints_12_24_35"): [
        ("absent", 0, 11),
        ("mild", 12, 23),
        ("moderate", 24, 34),
        ("severe", 35, 60),
    ],
    ("hamd17", None): [
        ("none", 0, 7),
        ("mild", 8, 13),
        ("moderate", 14, 19),
        ("severe", 20, 25),
        ("very_severe", 26, 52),
    ],
}
BOUNDARY_CASES = [
    (code, band_set, total, key)
    for (code, band_set), bands in BANDS.items()
    for key, low, high in bands
    for total in sorted({low, high})
]


@pytest.mark.parametrize(("code", "band_set", "total", "key"), BOUNDARY_CASES)
def test_band_boundaries(code: str, band_set: str | None, total: int, key: str) -> None:
    config = {"bands": band_set} if band_set else None
    result = score(code, with_total(code, total), config=config)
    assert result.total == total
    assert result.severity == key


def test_every_band_boundary_is_covered_from_both_sides() -> None:
    for (code, band_set), bands in BANDS.items():
        covered = {t for c, b, t, _ in BOUNDARY_CASES if (c, b) == (code, band_set)}
        for _, low, high in bands:
            assert {low, high} <= covered
            if low > 0:
                assert low - 1 in covered  # the other side of this band's lower boundary


def test_severity_labels() -> None:
    assert score("phq9", with_total("phq9", 17)).severity_label == "Moderately severe"
    assert score("qids_sr16", with_total("qids_sr16", 21)).severity_label == "Very severe"
    assert score("phq9", with_total("phq9", 0)).severity_label == "Minimal or none"


# --- PHQ-9 -----------------------------------------------------------------------------------


def test_phq9_worked_example_with_item9_flag() -> None:
    result = score("phq9", [1, 2, 3, 2, 1, 2, 3, 2, 1, 1])
    assert (result.instrument, result.version) == ("phq9", "1.0")
    assert result.total == 17
    assert (result.severity, result.severity_label) == ("moderately_severe", "Moderately severe")
    assert result.flags == ("suicidal_ideation",)
    assert result.findings == (
        SafetyFinding(
            flag="suicidal_ideation",
            item=9,
            item_key="phq9_9",
            severity="high",
            reason=result.findings[0].reason,
        ),
    )
    assert "Item 9" in result.findings[0].reason
    assert result.reasons[0].startswith(
        "Total 17 = sum of items 1-9; band moderately severe (15-19"
    )
    assert "Kroenke 2001" in result.reasons[0]
    assert any(r.startswith("Item 9 (") and "suicidal ideation flag" in r for r in result.reasons)
    assert any("Item 10 (difficulty) 1 (Somewhat difficult)" in r for r in result.reasons)
    assert (result.subscores, result.risk, result.provisional_diagnosis) == ({}, None, None)
    assert result.config == {"suicidal_ideation_threshold": 1}


def test_phq9_item9_flag_is_independent_of_the_total() -> None:
    result = score("phq9", setting("phq9", {9: 1}))
    assert (result.total, result.severity) == (1, "minimal")
    assert result.flags == ("suicidal_ideation",)
    assert [f.severity for f in result.findings] == ["high"]


def test_phq9_severe_total_without_item9_raises_no_finding() -> None:
    result = score("phq9", [3, 3, 3, 3, 3, 3, 3, 3, 0, 3])
    assert (result.total, result.severity) == (24, "severe")
    assert result.flags == () and result.findings == ()
    assert any("below the threshold 1: no suicidal ideation flag" in r for r in result.reasons)


@pytest.mark.parametrize(("item10", "total"), [(None, 9), (0, 9), (3, 9)])
def test_phq9_item10_never_counts(item10: int | None, total: int) -> None:
    answers = [1] * 9 + [item10]
    assert score("phq9", answers).total == total


def test_phq9_item9_threshold_override() -> None:
    answers = setting("phq9", {9: 1})
    result = score("phq9", answers, config={"suicidal_ideation_threshold": 2})
    assert result.flags == () and result.findings == ()
    assert result.config == {"suicidal_ideation_threshold": 2}
    assert score("phq9", setting("phq9", {9: 2}), config={"suicidal_ideation_threshold": 2}).flags


# --- GAD-7 -----------------------------------------------------------------------------------


def test_gad7_worked_example() -> None:
    result = score("gad7", [0, 1, 2, 3, 0, 1, 2])
    assert (result.total, result.severity, result.severity_label) == (9, "mild", "Mild")
    assert result.flags == () and result.findings == ()
    assert result.reasons == (result.reasons[0],)
    assert result.reasons[0].startswith("Total 9 = sum of items 1-7; band mild (5-9")


# --- QIDS-SR16 -------------------------------------------------------------------------------


def test_qids_worked_example_is_the_sum_of_domains_not_items() -> None:
    answers = [3, 0, 1, 0, 2, 0, 1, 2, 0, 1, 1, 2, 0, 1, 0, 3]
    result = score("qids_sr16", answers)
    assert sum(answers) == 17
    assert result.total == 15
    assert result.severity == "moderate"
    assert result.subscores == {
        "sleep": 3,
        "sad_mood": 2,
        "appetite_weight": 2,
        "concentration": 1,
        "self_view": 1,
        "suicidal_ideation": 2,
        "interest": 0,
        "energy": 1,
        "psychomotor": 3,
    }
    assert "sleep 3 (max of items 1-4)" in result.reasons[0]
    assert "psychomotor 3 (max of items 15 and 16)" in result.reasons[0]


@pytest.mark.parametrize(
    ("items", "domain", "expected"),
    [
        ({1: 1, 2: 1, 3: 1, 4: 1}, "sleep", 1),
        ({1: 0, 2: 3, 3: 1, 4: 2}, "sleep", 3),
        ({4: 2}, "sleep", 2),
        ({6: 2, 7: 3, 8: 0, 9: 1}, "appetite_weight", 3),
        ({6: 1, 9: 1}, "appetite_weight", 1),
        ({15: 2, 16: 1}, "psychomotor", 2),
        ({15: 0, 16: 3}, "psychomotor", 3),
        ({15: 2, 16: 2}, "psychomotor", 2),
    ],
)
def test_qids_max_rule_domains(items: dict[int, int], domain: str, expected: int) -> None:
    result = score("qids_sr16", setting("qids_sr16", items))
    assert result.subscores[domain] == expected
    assert result.total == expected  # every other domain is 0


@pytest.mark.parametrize(
    ("item12", "flagged", "severity"),
    [(0, False, None), (1, True, "moderate"), (2, True, "high"), (3, True, "high")],
)
def test_qids_item12_flag_and_finding_severity(
    item12: int, flagged: bool, severity: str | None
) -> None:
    result = score("qids_sr16", setting("qids_sr16", {12: item12}))
    assert ("suicidal_ideation" in result.flags) is flagged
    assert [f.severity for f in result.findings] == ([severity] if severity else [])
    if flagged:
        assert (result.findings[0].item, result.findings[0].item_key) == (12, "qids_sr16_12")


def test_qids_threshold_overrides() -> None:
    answers = setting("qids_sr16", {12: 2})
    config: dict[str, Any] = {
        "suicidal_ideation_threshold": 2,
        "suicidal_ideation_high_threshold": 3,
    }
    result = score("qids_sr16", answers, config=config)
    assert [f.severity for f in result.findings] == ["moderate"]
    assert score("qids_sr16", setting("qids_sr16", {12: 1}), config=config).findings == ()


# --- MADRS -----------------------------------------------------------------------------------


def test_madrs_worked_example_in_both_band_sets() -> None:
    answers = [2, 3, 1, 4, 0, 2, 3, 1, 2, 0]
    snaith = score("madrs", answers)
    assert (snaith.total, snaith.severity) == (18, "mild")
    cut = score("madrs", answers, config={"bands": "cutpoints_12_24_35"})
    assert (cut.total, cut.severity) == (18, "mild")
    ten = [2, 2, 2, 2, 2, 0, 0, 0, 0, 0]
    assert score("madrs", ten).severity == "mild"
    assert score("madrs", ten, config={"bands": "cutpoints_12_24_35"}).severity == "absent"
    assert (
        "cut-points 12/24/35"
        in score("madrs", ten, config={"bands": "cutpoints_12_24_35"}).reasons[0]
    )


@pytest.mark.parametrize(
    ("item10", "flagged"), [(0, False), (1, False), (2, True), (3, True), (4, True), (6, True)]
)
def test_madrs_item10_flag_at_anchor_2(item10: int, flagged: bool) -> None:
    """Issue #12 finding 13: MADRS item 10 alerted only at 4 or more; the default is now 2
    ('weary of life, only fleeting suicidal thoughts'), a clinic setting."""
    result = score("madrs", setting("madrs", {10: item10}))
    assert ("suicidal_ideation" in result.flags) is flagged
    assert [f.severity for f in result.findings] == (["high"] if flagged else [])
    if flagged:
        assert result.findings[0].item == 10


def test_madrs_item10_threshold_is_a_clinic_setting() -> None:
    answers = setting("madrs", {10: 3})
    assert "suicidal_ideation" in score("madrs", answers).flags
    assert (
        "suicidal_ideation"
        not in score("madrs", answers, config={"suicidal_ideation_threshold": 4}).flags
    )


# --- HAM-D17 ---------------------------------------------------------------------------------


def test_hamd17_worked_example() -> None:
    answers = [2, 1, 0, 1, 2, 1, 3, 1, 0, 2, 1, 1, 1, 0, 1, 0, 1]
    result = score("hamd17", answers)
    assert (result.total, result.severity) == (18, "moderate")
    assert result.flags == ()
    top = [4, 4, 4, 2, 2, 2, 4, 4, 4, 4, 4, 2, 2, 2, 4, 2, 2]
    assert score("hamd17", top).total == 52


@pytest.mark.parametrize(
    ("item3", "severity"), [(0, None), (1, "moderate"), (2, "moderate"), (3, "high"), (4, "high")]
)
def test_hamd17_item3_flag_and_finding_severity(item3: int, severity: str | None) -> None:
    result = score("hamd17", setting("hamd17", {3: item3}))
    assert ("suicidal_ideation" in result.flags) is (severity is not None)
    assert [f.severity for f in result.findings] == ([severity] if severity else [])


# --- CADSS and CADSS-6 -----------------------------------------------------------------------


@pytest.mark.parametrize(("total", "flagged"), [(0, False), (4, False), (5, True), (92, True)])
def test_cadss_dissociation_flag_is_informational(total: int, flagged: bool) -> None:
    result = score("cadss", with_total("cadss", total))
    assert result.total == total
    assert ("dissociation" in result.flags) is flagged
    assert result.findings == ()
    assert result.severity is None and result.severity_label is None


def test_cadss_worked_example() -> None:
    answers = [0, 1, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]
    result = score("cadss", answers)
    assert result.total == 7
    assert result.flags == ("dissociation",)
    assert any(r.startswith("Total 7 > 4: dissociation flag") for r in result.reasons)


def test_cadss6_worked_example() -> None:
    assert score("cadss6", [0, 1, 2, 3, 4, 0]).total == 10
    result = score("cadss6", [4] * 6)
    assert (result.total, result.severity, result.flags, result.findings) == (24, None, (), ())


# --- PCL-5 -----------------------------------------------------------------------------------

# One endorsed item (2) in B and C, two in D and E: the smallest pattern that meets the rule.
MINIMAL_MET = {1: 2, 6: 2, 8: 2, 9: 2, 15: 2, 16: 2}


def test_pcl5_cluster_rule_met_with_the_minimal_pattern() -> None:
    result = score("pcl5", setting("pcl5", MINIMAL_MET))
    assert result.provisional_diagnosis is True
    assert result.total == 12
    assert result.subscores == {"B": 2, "C": 2, "D": 4, "E": 4}
    assert result.flags == ()  # below the cut-off: the two rules are independent
    assert "provisional PTSD diagnosis met" in result.reasons[1]


@pytest.mark.parametrize(
    ("cluster", "change"),
    [
        ("B", {1: 1}),  # B item at 1 is not endorsed
        ("C", {6: 1}),
        ("D", {9: 1}),  # only one D item endorsed
        ("E", {16: 1}),  # only one E item endorsed
    ],
)
def test_pcl5_cluster_rule_just_not_met(cluster: str, change: dict[int, int]) -> None:
    result = score("pcl5", setting("pcl5", {**MINIMAL_MET, **change}))
    assert result.provisional_diagnosis is False
    assert f"{cluster} " in result.reasons[1] and "not met" in result.reasons[1]


def test_pcl5_many_items_at_1_endorse_nothing() -> None:
    result = score("pcl5", [1] * 20)
    assert (result.total, result.provisional_diagnosis) == (20, False)


def test_pcl5_all_clusters_fully_endorsed() -> None:
    result = score("pcl5", [2] * 20)
    assert (result.total, result.provisional_diagnosis) == (40, True)
    assert result.subscores == {"B": 10, "C": 4, "D": 14, "E": 12}
    assert result.flags == ("probable_ptsd",)
    assert result.findings == ()


@pytest.mark.parametrize(
    ("total", "config", "flagged"),
    [
        (32, None, False),
        (33, None, True),
        (30, {"probable_ptsd_cutoff": 31}, False),
        (31, {"probable_ptsd_cutoff": 31}, True),
    ],
)
def test_pcl5_probable_ptsd_cutoff(
    total: int, config: dict[str, int] | None, flagged: bool
) -> None:
    result = score("pcl5", with_total("pcl5", total), config=config)
    assert ("probable_ptsd" in result.flags) is flagged


# --- C-SSRS Screen ---------------------------------------------------------------------------

N = None
T = True
F = False


@pytest.mark.parametrize(
    ("answers", "risk", "flag", "item"),
    [
        ([F, F, N, N, N, F, N], "none", None, None),
        ([T, F, N, N, N, F, N], "low", None, None),
        ([F, T, F, F, F, F, N], "low", None, None),
        ([T, T, F, F, F, F, N], "low", None, None),
        ([T, T, T, F, F, F, N], "moderate", "suicide_risk_moderate", 3),
        ([F, F, N, N, N, T, F], "moderate", "suicide_risk_moderate", 6),
        ([F, T, F, T, F, F, N], "high", "suicide_risk_high", 4),
        ([F, T, F, F, T, F, N], "high", "suicide_risk_high", 5),
        ([F, F, N, N, N, T, T], "high", "suicide_risk_high", 7),
        ([T, T, T, F, F, T, T], "high", "suicide_risk_high", 7),  # high outranks Q3
        ([T, T, T, T, T, T, F], "high", "suicide_risk_high", 4),
    ],
)
def test_cssrs_paths(
    answers: list[bool | None], risk: str, flag: str | None, item: int | None
) -> None:
    result = score("cssrs_screen", answers)
    assert result.risk == risk
    assert (result.total, result.severity, result.severity_label) == (None, None, None)
    assert result.flags == ((flag,) if flag else ())
    if flag is None:
        assert result.findings == ()
    else:
        (finding,) = result.findings
        assert (finding.flag, finding.item, finding.severity) == (flag, item, risk)
    assert any(reason.startswith(f"Risk {risk}") for reason in result.reasons)


def test_cssrs_q6b_finding_names_its_key() -> None:
    (finding,) = score("cssrs_screen", [F, F, N, N, N, T, T]).findings
    assert finding.item_key == "cssrs_6b"
    assert "within the past 3 months" in finding.reason


def test_safety_finding_reasons_fit_the_alert_reason_column() -> None:
    examples = [
        score("phq9", [3] * 10),
        score("qids_sr16", [3] * 16),
        score("madrs", [6] * 10),
        score("hamd17", with_total("hamd17", 52)),
        score("cssrs_screen", [T, T, T, T, T, T, T]),
        score("cssrs_screen", [F, F, N, N, N, T, F]),
    ]
    for result in examples:
        assert result.findings
        for finding in result.findings:
            assert 0 < len(finding.reason) <= 300


def test_zero_answers_score_zero_everywhere() -> None:
    for code in ("phq9", "gad7", "qids_sr16", "madrs", "hamd17", "cadss", "cadss6", "pcl5"):
        result = score(code, zeros(code))
        assert result.total == 0 and result.flags == () and result.findings == (), code
