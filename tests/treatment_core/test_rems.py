"""The REMS Patient Monitoring Form's pure rules (issue #12 finding 12): the medicine
classes come from the one medicine catalogue, "BP prior to session completion" is the last
reading at the end of observation, every field of the form is there, and an overridden BP
is reported as such."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ketacare.eligibility.medicines import RemsClass, identify, rems_classes
from ketacare.treatment import rems

T0 = dt.datetime(2024, 3, 4, 10, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


def test_brand_names_the_private_list_missed_are_in_their_classes() -> None:
    """The old private list in rems.py answered "No" for all of these."""
    cases = {
        "Xanax 0.5 mg": RemsClass.BENZODIAZEPINES,
        "Klonopin": RemsClass.BENZODIAZEPINES,
        "Adderall XR 20 mg": RemsClass.PSYCHOSTIMULANTS,
        "Ritalin LA": RemsClass.PSYCHOSTIMULANTS,
        "Ambien 10mg at night": RemsClass.SEDATIVE_HYPNOTICS,
        "Nardil": RemsClass.MAOIS,
        "OxyContin 10 mg": RemsClass.OPIOIDS,
        "midazolam (buccal)": RemsClass.BENZODIAZEPINES,
        "Versed": RemsClass.BENZODIAZEPINES,
    }
    for name, cls in cases.items():
        assert rems_classes(name) == {cls}, name
        assert identify(name) is not None, name
    classes = rems.medicine_classes(list(cases))
    assert classes == {cls.value: True for cls in RemsClass}
    assert rems.medicine_classes(["Sertraline 50 mg", "Pregabalin"]) == {
        cls.value: False for cls in RemsClass
    }


def test_the_form_asks_the_five_classes_of_the_catalogue() -> None:
    assert [k for k in rems.FIELD_LABELS if k.startswith("med_")] == [
        f"med_{cls.value}" for cls in RemsClass
    ]
    assert tuple(RemsClass) == rems.MEDICINE_CLASSES


def readings(*points: tuple[int, int, int]) -> rems.Readings:
    return [(T0 + m * MIN, s, d) for m, s, d in points]


def test_bp_before_completion_is_the_last_reading_not_the_40_minute_one() -> None:
    taken = readings((40, 150, 95), (80, 138, 86), (115, 128, 80))
    forty = rems.reading_near(taken, T0 + 40 * MIN, 10 * MIN)
    assert str(forty) == "150/95"
    end = rems.bp_before_completion(taken, after=forty.at, until=T0 + 121 * MIN)
    assert (str(end), end.at) == ("128/80", T0 + 115 * MIN)


def test_without_a_later_reading_the_field_is_missing_not_the_40_minute_reading() -> None:
    """Issue #12 finding 12: it could be the 40-min reading."""
    taken = readings((40, 150, 95))
    forty = rems.reading_near(taken, T0 + 40 * MIN, 10 * MIN)
    assert str(rems.bp_before_completion(taken, after=forty.at, until=T0 + 121 * MIN)) == ""


def test_readings_after_the_end_of_monitoring_do_not_count() -> None:
    taken = readings((40, 150, 95), (110, 130, 84), (130, 170, 100))
    end = rems.bp_before_completion(taken, after=T0 + 40 * MIN, until=T0 + 121 * MIN)
    assert str(end) == "130/84"


@given(
    st.lists(
        st.tuples(st.integers(0, 180), st.integers(80, 200), st.integers(40, 120)),
        max_size=12,
        unique_by=lambda t: t[0],
    ),
    st.integers(30, 60),
    st.integers(60, 200),
)
def test_bp_before_completion_is_the_latest_reading_in_its_window(
    points: list[tuple[int, int, int]], after: int, until: int
) -> None:
    taken = readings(*points)
    end = rems.bp_before_completion(taken, after=T0 + after * MIN, until=T0 + until * MIN)
    window = [p for p in points if after < p[0] <= until]
    if not window:
        assert str(end) == ""
        return
    minute, s, d = max(window)
    assert (end.at, end.systolic, end.diastolic) == (T0 + minute * MIN, s, d)


FACTS = rems.FormFacts(
    patient_name="Bea Lindqvist",
    date_of_birth=dt.date(1980, 5, 1),
    sex="Female",
    first_treatment=True,
    enrolled=True,
    medicines=rems.medicine_classes(["Xanax"]),
    monitoring_hcp="Dr Adaeze Okafor",
    monitoring_hcp_phone="+1 617 555 0199",
    monitoring_hcp_email="a.okafor@example.org",
    setting="Riverside Ketamine Clinic",
    site_address="12 River Street",
    site_city="Boston",
    site_state="MA",
    site_zip="02114",
    treatment_date=dt.date(2024, 3, 4),
    devices=2,
    lot_number="LOT-1",
    first_device_at=T0,
    monitoring_ended_at=T0 + 121 * MIN,
    ready_to_leave_at=T0 + 90 * MIN,
    vitals_ok_before=True,
    bp_override=None,
    vitals_ok_at_end=True,
    bp_pre_dose=rems.BP(126, 80),
    bp_40_min=rems.BP(144, 90),
    bp_at_end=rems.BP(128, 82),
    sedation=False,
    dissociation=True,
    respiratory_depression=False,
)


def test_every_field_of_the_form_is_filled_including_provider_and_site_details() -> None:
    values = rems.assemble(FACTS)
    assert rems.missing_fields(values) == []
    assert values["monitoring_hcp_phone"] == "+1 617 555 0199"
    assert values["monitoring_hcp_email"] == "a.okafor@example.org"
    assert (values["site_address"], values["site_city"]) == ("12 River Street", "Boston")
    assert (values["site_state"], values["site_zip"]) == ("MA", "02114")
    assert values["med_benzodiazepines"] == "Yes" and values["bp_override"] == "No"
    blank = rems.assemble(dataclasses.replace(FACTS, site_zip="", monitoring_hcp_email=""))
    assert rems.missing_fields(blank) == ["Monitoring healthcare provider's email", "ZIP code"]


def test_an_overridden_bp_is_reported_as_such_not_as_acceptable() -> None:
    """Issue #12 finding 12: it said vital signs were acceptable after an override."""
    override = rems.BpOverride(
        bp=rems.BP(172, 106),
        limit="systolic 172 above 140",
        decision="Proceed",
        decided_by="Dr Adaeze Okafor",
        decided_at=dt.datetime(2024, 3, 4, 10, 5),
        reason="Anxious on arrival; repeat 168/100; benefit outweighs risk",
    )
    values = rems.assemble(dataclasses.replace(FACTS, vitals_ok_before=False, bp_override=override))
    assert values["vitals_ok_before"] == "No"
    assert values["bp_override"] == (
        "Yes: baseline 172/106 above the limit (systolic 172 above 140); prescriber's "
        "decision 'Proceed' by Dr Adaeze Okafor at 2024-03-04 10:05: Anxious on arrival; "
        "repeat 168/100; benefit outweighs risk"
    )
    # Even if a caller passed vitals_ok_before=True, the override wins.
    assert (
        rems.assemble(dataclasses.replace(FACTS, bp_override=override))["vitals_ok_before"] == "No"
    )
