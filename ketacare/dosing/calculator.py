"""Dose calculation: pure, exact (Decimal) and explained.

`calculate_dose` turns a protocol, a dose (mg/kg or mg), the patient's body measures and
the drug's concentration into the dose in mg, the volume to draw up and, for infusions,
the pump rate. It refuses (DosingError, with the reason) what must never be given, and
returns warnings for what a prescriber must see. Every rounding is reported.

Defaults for the clinic-configurable policy live in `DosingPolicy`, each with its basis;
docs/dosing.md shows them with their sources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum

from ketacare.dosing.protocols import (
    APA_CONSENSUS,
    KETALAR_LABEL,
    SHIPPED,
    DoseUnit,
    ProtocolDefinition,
    Route,
    Source,
)

INCH_CM = Decimal("2.54")
FIVE_FEET_CM = Decimal("152.4")
DEVINE_SOURCE = Source(
    "Devine ideal body weight: 50 kg (male) or 45.5 kg (female) + 2.3 kg per inch over 5 feet"
)
SUPPORTED_CONCENTRATIONS = (Decimal("10"), Decimal("50"), Decimal("100"))  # mg/mL vials


class Basis(StrEnum):
    ACTUAL = "actual"
    IDEAL = "ideal"
    ADJUSTED = "adjusted"


class BasisPolicy(StrEnum):
    """How the weight used for mg/kg dosing is chosen."""

    IDEAL_ABOVE_BMI = "ideal_above_bmi"  # IBW at BMI >= threshold, actual below (default)
    ADJUSTED_ABOVE_BMI = "adjusted_above_bmi"  # adjusted BW at BMI >= threshold
    ACTUAL = "actual"  # always actual weight (as the landmark trials did)

    @property
    def label(self) -> str:
        return {
            "ideal_above_bmi": "Ideal body weight at or above the BMI threshold",
            "adjusted_above_bmi": "Adjusted body weight at or above the BMI threshold",
            "actual": "Actual body weight always",
        }[self.value]


@dataclass(frozen=True)
class DosingPolicy:
    """A clinic's dosing settings. Defaults and their basis:

    - basis_policy IDEAL_ABOVE_BMI with bmi_threshold 30: the APA consensus suggests
      ideal-body-weight dosing, especially at BMI >= 30 (clinical.md §1.1, Singh 2019).
    - adjusted_factor 0.4: adjusted BW = IBW + 0.4 x (actual - IBW), the customary
      factor; a clinical choice.
    - syringe_precision_ml 0.1 and pump_precision_ml_per_h 0.01: what the clinic's
      syringes and pumps can measure; a clinical (equipment) choice.
    - weight_max_age_days 30: a weight older than this is refused for mg/kg dosing;
      a clinical choice, matching the chart's stale-weight flag.
    - mg_ceilings: an absolute ceiling in mg per protocol code, whatever the weight. A
      protocol not listed uses `default_mg_ceiling` (see there for the basis).
    """

    basis_policy: BasisPolicy = BasisPolicy.IDEAL_ABOVE_BMI
    bmi_threshold: Decimal = Decimal("30")
    adjusted_factor: Decimal = Decimal("0.4")
    syringe_precision_ml: Decimal = Decimal("0.1")
    pump_precision_ml_per_h: Decimal = Decimal("0.01")
    weight_max_age_days: int = 30
    mg_ceilings: Mapping[str, Decimal] = field(default_factory=dict, hash=False)

    def ceiling_mg(self, protocol: ProtocolDefinition) -> Decimal:
        found = self.mg_ceilings.get(protocol.code)
        return Decimal(str(found)) if found is not None else default_mg_ceiling(protocol)


DEFAULT_POLICY = DosingPolicy()

# The default absolute ceiling of a weight-based protocol is its mg/kg cap at this weight.
CEILING_REFERENCE_KG = Decimal("100")


def default_mg_ceiling(protocol: ProtocolDefinition) -> Decimal:
    """The cited default of a protocol's absolute mg ceiling: a fixed-dose protocol's own
    cap (esketamine 84 mg, the highest labelled dose, Spravato label §2.1); for a
    weight-based one, its mg/kg cap at 100 kg (0.75 mg/kg: 75 mg), a clinical choice so
    that no weight, however recorded, scales a dose past it."""
    if protocol.weight_based:
        return protocol.hard_max * CEILING_REFERENCE_KG
    return protocol.hard_max


def ceiling_basis(protocol: ProtocolDefinition) -> str:
    if protocol.weight_based:
        return (
            f"Clinical choice: the protocol's cap of {protocol.hard_max} mg/kg at "
            f"{CEILING_REFERENCE_KG} kg; no maximum dose for depression is published."
        )
    if protocol.drug == "esketamine":
        return "84 mg is the highest labelled dose (Spravato label, section 2.1)."
    return f"The protocol's own cap of {protocol.hard_max} mg (see the protocol's sources)."


class DosingError(ValueError):
    """The dose must not be given. `reason` says why; `field` names the input at fault."""

    def __init__(self, reason: str, *, field: str = "dose") -> None:
        self.reason = reason
        self.field = field
        super().__init__(reason)


@dataclass(frozen=True)
class DoseWarning:
    code: str
    message: str
    source: str = ""


@dataclass(frozen=True)
class DoseResult:
    protocol_code: str
    protocol_version: int
    dose_unit: DoseUnit
    dose_requested: Decimal  # in dose_unit
    dose_mg: Decimal  # what is drawn up: volume_ml x concentration when a volume is given
    weight_used_kg: Decimal | None
    basis: Basis | None
    bmi: Decimal | None
    concentration_mg_per_ml: Decimal | None
    volume_ml: Decimal | None
    infusion_minutes: Decimal | None  # the time the rounded pump rate takes
    rate_ml_per_h: Decimal | None
    devices: int | None  # intranasal devices
    warnings: tuple[DoseWarning, ...] = field(default_factory=tuple)
    reasons: tuple[str, ...] = field(default_factory=tuple)  # how the result was reached


def bmi(weight_kg: Decimal, height_cm: Decimal) -> Decimal:
    metres = height_cm / 100
    return weight_kg / (metres * metres)


def devine_ibw(height_cm: Decimal, sex_at_birth: str) -> Decimal:
    """Devine ideal body weight. Sex other than male uses the female formula, which gives
    the lower weight (the caller warns)."""
    base = Decimal("50") if sex_at_birth == "male" else Decimal("45.5")
    inches_over_five_feet = (height_cm - FIVE_FEET_CM) / INCH_CM
    return base + Decimal("2.3") * inches_over_five_feet


def _q(value: Decimal, step: str = "0.1") -> Decimal:
    return value.quantize(Decimal(step), rounding=ROUND_HALF_UP)


@dataclass
class _Notes:
    warnings: list[DoseWarning] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def warn(self, code: str, message: str, source: Source | None = None) -> None:
        self.warnings.append(DoseWarning(code, message, source.label if source else ""))


def _weight_used(
    weight_kg: Decimal,
    height_cm: Decimal | None,
    sex_at_birth: str,
    requested: Basis | None,
    policy: DosingPolicy,
    notes: _Notes,
) -> tuple[Decimal, Basis, Decimal | None]:
    if height_cm is None:
        if requested in (Basis.IDEAL, Basis.ADJUSTED) or policy.basis_policy != BasisPolicy.ACTUAL:
            raise DosingError(
                "A height is needed to work out BMI and ideal body weight.", field="height_cm"
            )
        notes.reasons.append(f"Dosed on actual weight {_q(weight_kg)} kg (clinic policy).")
        return weight_kg, Basis.ACTUAL, None
    body_mass_index = bmi(weight_kg, height_cm)
    basis = requested or _policy_basis(body_mass_index, policy)
    if requested:
        notes.reasons.append(f"Weight basis {basis.value} chosen by the prescriber.")
    elif basis == Basis.ACTUAL:
        notes.reasons.append(
            f"BMI {_q(body_mass_index)}: dosed on actual weight "
            f"(clinic policy: {policy.basis_policy.value}, BMI threshold {policy.bmi_threshold})."
        )
    if basis == Basis.ACTUAL:
        return weight_kg, basis, body_mass_index
    if sex_at_birth != "male" and sex_at_birth != "female":
        notes.warn(
            "sex_unknown_ibw",
            "Sex at birth not recorded as male or female: the female Devine formula was used "
            "(it gives the lower weight).",
            DEVINE_SOURCE,
        )
    if height_cm < FIVE_FEET_CM:
        notes.warn(
            "short_stature_ibw",
            "Height under 152.4 cm (5 feet): the Devine formula is not meant for this height.",
            DEVINE_SOURCE,
        )
    ibw = devine_ibw(height_cm, sex_at_birth)
    used = ibw if basis == Basis.IDEAL else ibw + policy.adjusted_factor * (weight_kg - ibw)
    if used > weight_kg:
        notes.warn(
            "ibw_above_actual",
            f"The {basis.value} body weight ({_q(used)} kg) is above the actual weight: "
            "dosed on actual weight.",
        )
        return weight_kg, Basis.ACTUAL, body_mass_index
    if not requested:
        notes.reasons.append(
            f"BMI {_q(body_mass_index)} is at or above {policy.bmi_threshold}: dosed on "
            f"{basis.value} body weight {_q(used)} kg (Devine IBW {_q(ibw)} kg), not the actual "
            f"{_q(weight_kg)} kg. Source: {APA_CONSENSUS.label}."
        )
    if used <= 0:
        raise DosingError(
            "The weight used for dosing works out at zero or less.", field="height_cm"
        )
    return used, basis, body_mass_index


def _policy_basis(body_mass_index: Decimal, policy: DosingPolicy) -> Basis:
    if policy.basis_policy == BasisPolicy.ACTUAL or body_mass_index < policy.bmi_threshold:
        return Basis.ACTUAL
    return Basis.IDEAL if policy.basis_policy == BasisPolicy.IDEAL_ABOVE_BMI else Basis.ADJUSTED


def _check_weight_age(
    measured_on: dt.date | None, today: dt.date | None, policy: DosingPolicy
) -> None:
    if measured_on is None or today is None:
        raise DosingError(
            "Weight-based dosing needs the date the weight was measured.", field="weight_kg"
        )
    age = (today - measured_on).days
    if age > policy.weight_max_age_days:
        raise DosingError(
            f"The weight is {age} days old; weight-based dosing needs one from the last "
            f"{policy.weight_max_age_days} days (clinic setting). Weigh the patient.",
            field="weight_kg",
        )


def _check_dose(protocol: ProtocolDefinition, dose: Decimal, notes: _Notes) -> None:
    unit = "mg/kg" if protocol.weight_based else "mg"
    if dose <= 0:
        raise DosingError("The dose must be above zero.")
    if dose > protocol.hard_max:
        raise DosingError(
            f"{dose} {unit} is above this protocol's maximum of {protocol.hard_max} {unit}. "
            f"{protocol.hard_max_basis}"
        )
    if protocol.dose_step and dose % protocol.dose_step:
        raise DosingError(
            f"The dose must be a multiple of {protocol.dose_step} mg "
            f"({protocol.device_mg or protocol.dose_step} mg per device or tablet)."
        )
    if not protocol.dose_min <= dose <= protocol.dose_max:
        notes.warn(
            "outside_usual_range",
            f"{dose} {unit} is outside the usual range {protocol.dose_min}-{protocol.dose_max} "
            f"{unit} for {protocol.name}.",
        )


def _volume(
    dose_mg: Decimal, cap_mg: Decimal, conc: Decimal, policy: DosingPolicy, notes: _Notes
) -> Decimal:
    """The volume to draw up at the syringe's precision, never above the cap."""
    exact = dose_mg / conc
    step = policy.syringe_precision_ml.normalize()  # 0.100 from the database is 0.1
    volume = (exact / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    if volume * conc > cap_mg:
        volume = (exact / step).quantize(Decimal(1), rounding=ROUND_DOWN) * step
    if volume <= 0:
        raise DosingError(
            f"The dose is below the smallest measurable volume ({step} mL) at {conc} mg/mL: "
            "use a weaker concentration.",
            field="concentration_mg_per_ml",
        )
    if volume != exact:
        notes.warn(
            "volume_rounded",
            f"Volume rounded from {_q(exact, '0.001')} mL to {volume.normalize():f} mL (syringe "
            f"precision {step} mL): the dose given is {(volume * conc).normalize():f} mg, not "
            f"{_q(dose_mg, '0.01')} mg.",
        )
    return volume


def _rate(
    volume: Decimal, minutes: Decimal, policy: DosingPolicy, notes: _Notes
) -> tuple[Decimal, Decimal]:
    """Pump rate at its precision, and the infusion time that rate really takes."""
    exact = volume * 60 / minutes
    step = policy.pump_precision_ml_per_h.normalize()
    rate = (exact / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    if rate <= 0:
        rate = step
    if rate == exact:
        return rate, minutes
    actual_minutes = volume * 60 / rate
    notes.warn(
        "rate_rounded",
        f"Pump rate rounded from {_q(exact, '0.001')} to {rate} mL/h (pump precision {step} "
        f"mL/h): the infusion takes {_q(actual_minutes)} minutes, not {minutes}.",
    )
    return rate, actual_minutes


def _mg_per_kg(protocol: ProtocolDefinition, dose_mg: Decimal, weight_used: Decimal) -> Decimal:
    """A dose ordered in mg as mg/kg of the weight used, refused above the mg/kg cap."""
    exact = dose_mg / weight_used
    if exact > protocol.hard_max:
        raise DosingError(
            f"{dose_mg} mg is {_q(exact, '0.01')} mg/kg for {_q(weight_used)} kg: above this "
            f"protocol's maximum of {protocol.hard_max} mg/kg. {protocol.hard_max_basis}"
        )
    return exact.quantize(Decimal("0.001"), rounding=ROUND_DOWN)


def _check_ceiling(
    protocol: ProtocolDefinition, dose_mg: Decimal, policy: DosingPolicy, notes: _Notes
) -> Decimal:
    ceiling = policy.ceiling_mg(protocol)
    shown = f"{ceiling.normalize():f}"
    if dose_mg > ceiling:
        raise DosingError(
            f"{_q(dose_mg, '0.01').normalize():f} mg is above the clinic's ceiling of {shown} mg "
            f"for {protocol.name} (dosing setting). {ceiling_basis(protocol)}"
        )
    notes.reasons.append(f"Within the clinic's ceiling of {shown} mg for this protocol.")
    return ceiling


def first_dose_refusal(
    protocol: ProtocolDefinition, dose_mg: Decimal, *, earlier_sessions: int, reason: str
) -> str:
    """Why a protocol's fixed first dose rule refuses `dose_mg`, or "". Spravato label
    section 2.2: the day-1 dose in treatment-resistant depression is 56 mg; a prescriber
    may depart from it only with a recorded reason."""
    if (
        protocol.first_dose is None
        or earlier_sessions
        or dose_mg == protocol.first_dose
        or reason.strip()
    ):
        return ""
    return (
        f"the first session of {protocol.name} is {protocol.first_dose.normalize():f} mg "
        f"(Spravato label, section 2.2, day 1): order {protocol.first_dose.normalize():f} mg, "
        "or a prescriber records why not"
    )


def calculate_dose(
    *,
    protocol: str | ProtocolDefinition,
    dose: Decimal | int | float | str,
    weight_kg: Decimal | None = None,
    height_cm: Decimal | None = None,
    sex_at_birth: str = "unknown",
    concentration_mg_per_ml: Decimal | None = None,
    infusion_minutes: int | None = None,
    weight_basis: Basis | str | None = None,
    weight_measured_on: dt.date | None = None,
    today: dt.date | None = None,
    policy: DosingPolicy = DEFAULT_POLICY,
    dose_in_mg: bool = False,
    require_preparation: bool = True,
) -> DoseResult:
    """The dose for one session. `dose` is mg/kg for weight-based protocols and mg for
    fixed-dose ones; with `dose_in_mg` it is mg for every protocol (a session order), and
    a weight-based one is converted to mg/kg of the weight used before its caps apply.
    Without `require_preparation`, an infusion may leave its strength and pump rate to
    the administration. Raises DosingError (with its reason and the input at fault) when
    the dose must not be given; returns soft warnings and the reasoning otherwise."""
    definition = SHIPPED[protocol] if isinstance(protocol, str) else protocol
    requested = Decimal(str(dose))
    notes = _Notes()
    in_mg = dose_in_mg and definition.weight_based
    if not in_mg:
        _check_dose(definition, requested, notes)
    elif requested <= 0:
        raise DosingError("The dose must be above zero.")
    weight_used = basis = body_mass_index = None
    if definition.weight_based:
        if weight_kg is None or weight_kg <= 0:
            raise DosingError("Weight-based dosing needs the patient's weight.", field="weight_kg")
        _check_weight_age(weight_measured_on, today, policy)
        chosen = Basis(weight_basis) if weight_basis else None
        weight_used, basis, body_mass_index = _weight_used(
            Decimal(weight_kg),
            height_cm and Decimal(height_cm),
            sex_at_birth,
            chosen,
            policy,
            notes,
        )
        if in_mg:
            dose_mg, requested = requested, _mg_per_kg(definition, requested, weight_used)
            _check_dose(definition, requested, notes)
        else:
            dose_mg = requested * weight_used
        cap_mg = definition.hard_max * weight_used
        notes.reasons.append(
            f"{requested} mg/kg x {_q(weight_used)} kg = {_q(dose_mg, '0.01')} mg."
        )
    else:
        dose_mg = cap_mg = requested
        if definition.first_dose is not None:
            notes.reasons.append(
                f"The first dose of this protocol is {definition.first_dose} mg (label)."
            )
    cap_mg = min(cap_mg, _check_ceiling(definition, dose_mg, policy, notes))
    conc = Decimal(concentration_mg_per_ml) if concentration_mg_per_ml is not None else None
    volume = rate = minutes = None
    devices = None
    if definition.device_mg:
        devices = int(dose_mg / definition.device_mg)
        notes.reasons.append(
            f"{devices} device(s) of {definition.device_mg} mg, "
            f"{definition.device_interval_minutes} minutes apart."
        )
    elif conc is not None:
        if conc <= 0:
            raise DosingError(
                "The concentration must be above zero.", field="concentration_mg_per_ml"
            )
        if conc not in SUPPORTED_CONCENTRATIONS:
            notes.warn(
                "unusual_concentration",
                f"{conc} mg/mL is not a usual vial strength "
                "(10, 50 or 100 mg/mL): check the product.",
            )
        if definition.route == Route.IV and conc >= Decimal("100"):
            notes.warn(
                "dilute_before_iv",
                "The 100 mg/mL strength must be diluted before IV use.",
                KETALAR_LABEL,
            )
        volume = _volume(dose_mg, cap_mg, conc, policy, notes)
        dose_mg = volume * conc
    elif definition.is_infusion and require_preparation:
        raise DosingError(
            "An infusion needs the drug concentration.", field="concentration_mg_per_ml"
        )
    elif definition.is_infusion:
        notes.reasons.append("Strength and pump rate are charted with the administration.")
    if definition.is_infusion and volume is not None:
        requested_minutes = Decimal(infusion_minutes or definition.infusion_minutes or 0)
        if requested_minutes <= 0:
            raise DosingError("The infusion time must be above zero.", field="infusion_minutes")
        rate, minutes = _rate(volume, requested_minutes, policy, notes)
    return DoseResult(
        protocol_code=definition.code,
        protocol_version=definition.version,
        dose_unit=definition.dose_unit,
        dose_requested=requested,
        dose_mg=dose_mg,
        weight_used_kg=weight_used,
        basis=basis,
        bmi=body_mass_index,
        concentration_mg_per_ml=conc,
        volume_ml=volume,
        infusion_minutes=minutes,
        rate_ml_per_h=rate,
        devices=devices,
        warnings=tuple(notes.warnings),
        reasons=tuple(notes.reasons),
    )
