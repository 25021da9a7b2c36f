"""The pure eligibility rules on worked examples, and their properties."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ketacare.dosing.protocols import SHIPPED, Indication
from ketacare.eligibility import history as h
from ketacare.eligibility import medicines
from ketacare.eligibility.rules import EligibilityRules
from ketacare.eligibility.screening import (
    Answer,
    ChartDiagnosis,
    ChartMedication,
    Item,
    Kind,
    Outcome,
    ScreeningInput,
    screen,
)

RULES = EligibilityRules()
TODAY = dt.date(2026, 1, 15)
ALL_NO = {item: Answer.NO for item in Item}


def trial(
    drug: str, cls: h.DrugClass, dose: float = 200, weeks: float = 8, **kw: object
) -> h.Trial:
    values: dict = {"adherence": h.Adherence.GOOD, "outcome": h.Outcome.NO_RESPONSE, **kw}
    return h.Trial(drug, cls, dose, weeks, **values)


def clean(**changes: object) -> ScreeningInput:
    values: dict = {
        "protocol": SHIPPED["iv_ketamine"],
        "indication": Indication.MAJOR_DEPRESSION,
        "treatment_resistant": True,
        "today": TODAY,
        "answers": ALL_NO,
        "bp": (120, 80),
        **changes,
    }
    return ScreeningInput(**values)


# --- history -------------------------------------------------------------------------------


def test_trial_adequacy_gives_its_reason() -> None:
    ok = h.trial_adequacy(trial("sertraline", h.DrugClass.SSRI, 100, 6), RULES)
    assert ok.adequate and "100 mg/day (minimum 50)" in ok.reason
    low = h.trial_adequacy(trial("sertraline", h.DrugClass.SSRI, 25, 2), RULES)
    assert not low.adequate
    assert "below the 50 mg minimum" in low.reason and "under the 4 weeks" in low.reason
    unknown = h.trial_adequacy(trial("unobtainium", h.DrugClass.OTHER), RULES)
    assert not unknown.adequate and "no minimum dose is set" in unknown.reason
    poor = h.trial_adequacy(
        trial("sertraline", h.DrugClass.SSRI, adherence=h.Adherence.POOR), RULES
    )
    assert not poor.adequate and "adherence was poor" in poor.reason


def test_resistance_needs_two_different_failed_adequate_drugs() -> None:
    one = [trial("sertraline", h.DrugClass.SSRI), trial("sertraline", h.DrugClass.SSRI)]
    assert h.resistance_status(one, RULES).value == "not treatment-resistant"
    two = [*one, trial("venlafaxine", h.DrugClass.SNRI)]
    status = h.resistance_status(two, RULES)
    assert status.value == "treatment-resistant"
    assert "sertraline, venlafaxine" in status.how[0]
    # Intolerance and earlier episodes do not count by default; partial response does.
    assert (
        h.resistance_status(
            [
                trial("sertraline", h.DrugClass.SSRI, outcome=h.Outcome.INTOLERANCE),
                trial("venlafaxine", h.DrugClass.SNRI, in_current_episode=False),
            ],
            RULES,
        ).value
        == "not treatment-resistant"
    )
    partial = [
        trial("sertraline", h.DrugClass.SSRI, outcome=h.Outcome.PARTIAL_RESPONSE),
        trial("venlafaxine", h.DrugClass.SNRI),
    ]
    assert h.resistance_status(partial, RULES).value == "treatment-resistant"
    strict = RULES.with_overrides({"min_failed_trials": 3})
    assert h.resistance_status(two, strict).value == "not treatment-resistant"


def test_thase_rush_stages_on_worked_histories() -> None:
    ssri = trial("sertraline", h.DrugClass.SSRI)
    snri = trial("venlafaxine", h.DrugClass.SNRI)
    tca = trial("nortriptyline", h.DrugClass.TCA, 100)
    maoi = trial("phenelzine", h.DrugClass.MAOI, 60)
    ect = h.OtherTreatment(h.OtherKind.ECT, h.Outcome.NO_RESPONSE, bilateral=True)

    def stage(trials: list[h.Trial], others: tuple[h.OtherTreatment, ...] = ()) -> str:
        return h.thase_rush_stage(trials, list(others), RULES).value

    assert stage([]) == "0"
    assert stage([trial("sertraline", h.DrugClass.SSRI, outcome=h.Outcome.RESPONSE)]) == "0"
    assert stage([ssri]) == "I"
    assert stage([ssri, snri]) == "II"
    assert stage([ssri, tca]) == "II"  # the TCA is the second class, not a third step
    assert stage([ssri, snri, tca]) == "III"
    assert stage([ssri, snri, tca, maoi]) == "IV"
    assert stage([ssri, snri, tca, maoi], (ect,)) == "V"
    unilateral = h.OtherTreatment(h.OtherKind.ECT, h.Outcome.NO_RESPONSE, bilateral=False)
    assert stage([ssri, snri, tca, maoi], (unilateral,)) == "IV"
    assert "stage IV" in h.thase_rush_stage([ssri, snri, tca, maoi], [], RULES).how[-1]


def test_maudsley_score_on_a_worked_history() -> None:
    # 30 months (3) + severe with psychosis (5) + 3 failed drugs (2) + augmentation (1) = 11
    episode = h.Episode(dt.date(2023, 7, 1), h.Severity.SEVERE, psychotic_features=True)
    trials = [
        trial("sertraline", h.DrugClass.SSRI),
        trial("venlafaxine", h.DrugClass.SNRI),
        trial("mirtazapine", h.DrugClass.NASSA, 30),
    ]
    others = [h.OtherTreatment(h.OtherKind.AUGMENTATION, h.Outcome.NO_RESPONSE)]
    score = h.maudsley_score(episode, trials, others, RULES, today=TODAY)
    assert score.value == "11 (severe)"
    assert any("[U" in line for line in score.how)
    # 6 months (1) + moderate (3) + 2 drugs (1) = 5, mild
    short = h.Episode(dt.date(2025, 7, 15), h.Severity.MODERATE, psychotic_features=False)
    assert h.maudsley_score(short, trials[:2], [], RULES, today=TODAY).value == "5 (mild)"


def test_maudsley_boundaries() -> None:
    assert h.months_between(dt.date(2025, 1, 15), dt.date(2026, 1, 15)) == 12
    assert h.months_between(dt.date(2025, 1, 16), dt.date(2026, 1, 15)) == 11
    assert [h.maudsley_band(t) for t in (3, 6, 7, 10, 11, 15)] == [
        "mild",
        "mild",
        "moderate",
        "moderate",
        "severe",
        "severe",
    ]


@given(st.integers(0, 15))
def test_failure_subscore_is_monotone_and_capped(extra: int) -> None:
    episode = h.Episode(dt.date(2025, 1, 1), h.Severity.MILD, False)
    drugs = list(medicines.LORAZEPAM_EQUIVALENT_MG)[:0] + [f"drug{i}" for i in range(extra)]
    rules = RULES.with_overrides({"min_daily_dose_mg": {d: 1 for d in drugs}})
    trials = [trial(d, h.DrugClass.OTHER) for d in drugs]
    others = [
        h.OtherTreatment(h.OtherKind.AUGMENTATION, h.Outcome.NO_RESPONSE),
        h.OtherTreatment(h.OtherKind.ECT, h.Outcome.NO_RESPONSE),
    ]
    total = int(h.maudsley_score(episode, trials, others, rules, today=TODAY).value.split()[0])
    fewer = int(h.maudsley_score(episode, trials[:-1], others, rules, today=TODAY).value.split()[0])
    assert fewer <= total <= 15


# --- screening: the worked examples ------------------------------------------------------


def test_an_aneurysm_makes_the_patient_not_eligible_and_is_not_acceptable() -> None:
    result = screen(clean(answers={**ALL_NO, Item.ANEURYSM: Answer.YES}), RULES)
    assert result.outcome == Outcome.NOT_ELIGIBLE
    (reason,) = [r for r in result.reasons if r.kind == Kind.CONTRAINDICATION]
    assert reason.code == "aneurysmal_vascular_disease" and not reason.acceptable
    assert "Spravato label contraindications" in reason.sources[0].label


def test_an_aneurysm_on_the_diagnosis_list_overrides_a_no_answer() -> None:
    chart = (ChartDiagnosis("I71.4", "Abdominal aortic aneurysm"),)
    result = screen(clean(diagnoses=chart), RULES)
    assert result.outcome == Outcome.NOT_ELIGIBLE
    assert "I71.4" in result.reasons[0].detail


def test_lorazepam_4_mg_a_day_is_eligible_with_a_threshold_caution() -> None:
    meds = (ChartMedication("Lorazepam", "2 mg", "twice daily"),)
    result = screen(clean(medications=meds), RULES)
    assert result.outcome == Outcome.ELIGIBLE_WITH_CAUTIONS
    load = next(r for r in result.reasons if r.code == "benzodiazepine_load:lorazepam")
    assert load.kind == Kind.CAUTION and "4.00 mg/day" in load.text
    assert "PMC10812090" in load.sources[0].label and "3 mg" in load.sources[0].label


def test_an_maoi_raises_a_blood_pressure_caution() -> None:
    result = screen(clean(medications=(ChartMedication("Nardil", "15 mg", "tds"),)), RULES)
    assert result.outcome == Outcome.ELIGIBLE_WITH_CAUTIONS
    (reason,) = [r for r in result.reasons if r.code == "maoi:phenelzine"]
    assert "blood pressure" in reason.text and reason.acceptable


def test_a_clean_patient_is_eligible() -> None:
    assert screen(clean(), RULES).outcome == Outcome.ELIGIBLE


def test_an_unworkable_benzodiazepine_dose_is_a_caution_never_dropped() -> None:
    meds = (ChartMedication("Clonazepam", "0.5 mg", "as needed"),)
    result = screen(clean(medications=meds), RULES)
    unknown = next(r for r in result.reasons if r.code.startswith("benzodiazepine_dose_unknown"))
    assert unknown.kind == Kind.CAUTION and "cannot be worked out" in unknown.text


def test_unanswered_contraindication_blocks_until_answered() -> None:
    answers = {**ALL_NO, Item.AVM: Answer.UNKNOWN}
    result = screen(clean(answers=answers), RULES)
    assert result.outcome == Outcome.NOT_ELIGIBLE
    assert result.reasons[0].code == "unanswered:arteriovenous_malformation"


def test_protocol_rules_indication_resistance_and_esketamine() -> None:
    off_label = screen(clean(indication=Indication.PTSD), RULES)
    assert off_label.outcome == Outcome.NOT_ELIGIBLE
    assert off_label.reasons[0].code == "indication_not_covered"
    not_trd = screen(clean(treatment_resistant=False), RULES)
    assert [r.code for r in not_trd.reasons if r.kind == Kind.CAUTION] == [
        "not_treatment_resistant"
    ]
    esk = screen(clean(protocol=SHIPPED["esketamine_trd"]), RULES)
    assert esk.outcome == Outcome.ELIGIBLE
    assert any(r.code == "rems_enrollment" and r.kind == Kind.NOTE for r in esk.reasons)


def test_blood_pressure_threshold_is_the_clinics() -> None:
    assert screen(clean(bp=(150, 85)), RULES).outcome == Outcome.ELIGIBLE_WITH_CAUTIONS
    lenient = RULES.with_overrides({"bp_systolic_max": 160})
    assert screen(clean(bp=(150, 85)), lenient).outcome == Outcome.ELIGIBLE
    assert screen(clean(bp=None), RULES).outcome == Outcome.ELIGIBLE_WITH_CAUTIONS


def test_old_cardiovascular_event_is_not_recent() -> None:
    old = (ChartDiagnosis("I21.0", "STEMI", dt.date(2020, 1, 1)),)
    recent = (ChartDiagnosis("I21.0", "STEMI", dt.date(2025, 12, 1)),)
    assert screen(clean(diagnoses=old), RULES).outcome == Outcome.ELIGIBLE
    assert screen(clean(diagnoses=recent), RULES).outcome == Outcome.ELIGIBLE_WITH_CAUTIONS


def test_ketamine_allergy_is_hypersensitivity() -> None:
    result = screen(clean(allergies=("Ketamine",)), RULES)
    assert result.outcome == Outcome.NOT_ELIGIBLE
    assert result.reasons[0].code == "hypersensitivity"


def test_catalogue_classes() -> None:
    names = {
        "Concerta XL": "psychostimulant",
        "oxycodone": "opioid",
        "Zolpidem": "cns_depressant",
        "Lamictal": "lamotrigine",
        "Tegretol": "cyp3a4_inducer",
        "clarithromycin": "cyp3a4_inhibitor",
        "efavirenz": "cyp2b6_inducer",
        "Plavix": "cyp2b6_inhibitor",
    }
    for name, group in names.items():
        found = medicines.identify(name)
        assert found and group in {g.value for g in found[1]}, name
    assert medicines.identify("Sertraline") is None


# --- properties --------------------------------------------------------------------------

answers = st.dictionaries(st.sampled_from(list(Item)), st.sampled_from(list(Answer)))
CONTRA = [
    i
    for i in Item
    if i.value
    in {
        "aneurysmal_vascular_disease",
        "arteriovenous_malformation",
        "intracerebral_haemorrhage",
        "hypersensitivity",
    }
]
catalogue = st.sampled_from(sorted({*medicines.GENERICS, *medicines.BRANDS}))
medication = st.builds(
    ChartMedication,
    catalogue,
    st.sampled_from(["1 mg", "0.5 mg", "10 mg", "a tablet"]),
    st.sampled_from(["once daily", "bd", "prn", "every 6 hours"]),
)


@given(answers, st.sampled_from(CONTRA))
def test_adding_a_contraindication_never_improves_the_outcome(
    given_answers: dict[Item, Answer], contra: Item
) -> None:
    before = screen(clean(answers={**ALL_NO, **given_answers}), RULES).outcome
    after = screen(clean(answers={**ALL_NO, **given_answers, contra: Answer.YES}), RULES)
    assert after.outcome == Outcome.NOT_ELIGIBLE
    assert after.outcome.rank >= before.rank


@given(st.lists(medication, max_size=4), medication)
def test_adding_a_medicine_never_improves_the_outcome(
    meds: list[ChartMedication], extra: ChartMedication
) -> None:
    before = screen(clean(medications=tuple(meds)), RULES).outcome
    after = screen(clean(medications=(*meds, extra)), RULES).outcome
    assert after.rank >= before.rank


@given(
    st.sampled_from(sorted(medicines.LORAZEPAM_EQUIVALENT_MG)),
    st.floats(0.1, 200, allow_nan=False),
    st.floats(0.1, 200, allow_nan=False),
)
def test_benzodiazepine_flag_is_monotone_in_dose(drug: str, low: float, high: float) -> None:
    low, high = sorted((low, high))

    def flagged(amount: float) -> bool:
        meds = (ChartMedication(drug, f"{amount} mg", "once daily"),)
        reasons = screen(clean(medications=meds), RULES).reasons
        return any(
            r.code.startswith("benzodiazepine_load") and r.kind == Kind.CAUTION for r in reasons
        )

    assert flagged(low) <= flagged(high)
    equivalent = medicines.lorazepam_equivalent(drug, f"{high} mg", "once daily")
    assert flagged(high) == ((equivalent.lorazepam_mg_per_day or 0) > 3.0)
