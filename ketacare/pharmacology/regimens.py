"""Regimens: a list of doses (time, route, amount, duration), and the common ones.

Pure data and arithmetic. Times are minutes from the first dose.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketacare.dosing.protocols import Route

DAY_MIN = 24 * 60
DEVICE_MG = 28.0  # one SPRAVATO device holds 28 mg esketamine base (label)


@dataclass(frozen=True)
class Dose:
    time_min: float
    route: Route
    amount_mg: float
    duration_min: float = 0.0  # infusion length (IV); 0 = bolus / single administration

    def __post_init__(self) -> None:
        if self.amount_mg <= 0 or self.time_min < 0 or self.duration_min < 0:
            raise ValueError("a dose needs a positive amount and non-negative times")
        if self.route is Route.INTRANASAL and self.amount_mg % DEVICE_MG:
            raise ValueError("an intranasal esketamine dose is a whole number of 28 mg devices")


Regimen = tuple[Dose, ...]


def repeated(
    route: Route, amount_mg: float, *, every_hours: float, doses: int, duration_min: float = 0
) -> Regimen:
    """`doses` equal doses every `every_hours` hours, the first at time 0."""
    return tuple(Dose(i * every_hours * 60, route, amount_mg, duration_min) for i in range(doses))


# IV induction: infusions on Mon/Wed/Fri, six over two weeks, as in the courses of the
# ketamine-for-depression trials (0.5 mg/kg over 40 min: Zarate 2006; APA consensus 2017).
def iv_induction(
    weight_kg: float, *, mg_per_kg: float = 0.5, infusion_min: float = 40, sessions: int = 6
) -> Regimen:
    days = [7 * (i // 3) + 2 * (i % 3) for i in range(sessions)]  # 0, 2, 4, 7, 9, 11, ...
    return tuple(Dose(d * DAY_MIN, Route.IV, mg_per_kg * weight_kg, infusion_min) for d in days)


def esketamine_label(dose_mg: float = 56, *, weeks: int = 4) -> Regimen:
    """SPRAVATO label induction: twice weekly in weeks 1–4 (the first dose is always
    56 mg), then weekly in weeks 5–8."""
    days = [d + 7 * w for w in range(min(weeks, 4)) for d in (0, 3)]
    days += [7 * w for w in range(4, min(weeks, 8))]
    return tuple(
        Dose(d * DAY_MIN, Route.INTRANASAL, 56.0 if i == 0 else float(dose_mg))
        for i, d in enumerate(days)
    )


def er_twice_weekly(amount_mg: float = 180, *, weeks: int = 2) -> Regimen:
    """Extended-release tablet twice weekly (BEDROC: 180 mg twice weekly)."""
    days = [d + 7 * w for w in range(weeks) for d in (0, 3)]
    return tuple(Dose(d * DAY_MIN, Route.ORAL_ER, amount_mg) for d in days)


def every_few_days(route: Route, amount_mg: float, *, every_days: float, doses: int) -> Regimen:
    """Oral or sublingual doses every 2–3 days."""
    return repeated(route, amount_mg, every_hours=every_days * 24, doses=doses)
