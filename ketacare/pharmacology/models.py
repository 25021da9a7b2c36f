"""Published ketamine and esketamine PK models, as data. Pure: NumPy only, no Django.

Units inside the engine: time in minutes, amounts in mg, volumes in L, so amount/volume
is mg/L (= µg/mL); outputs are converted to ng/mL. Every number carries its source; the
sources are summarised in `/work/shared/reference/pharmacology.md` and `docs/pharmacology.md`.

Each model says what is published and what KetaCare assumed (`published`, `assumed`), so
the simulator page and the CLI can show it next to every prediction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ketacare.dosing.protocols import Route

Array = NDArray[np.float64]
Params = Mapping[str, Array]

PER_HOUR = 1 / 60  # h⁻¹ -> min⁻¹ and L/h -> L/min

# Olofsen et al. 2022 (Anesthesiology): blood–effect-site equilibration t½ 8.3 min (95% CI
# 5.1–13.0) for the psychedelic (external perception) effect of S-ketamine.
OLOFSEN_KE0_HALF_LIFE_MIN = 8.3
OLOFSEN_KE0 = float(np.log(2) / OLOFSEN_KE0_HALF_LIFE_MIN)  # ≈ 0.0835 min⁻¹ (computed)

# Assumed IIV for the racemic models: none of Domino, Clements, Hijazi or Kamp as shipped
# by opentiva carries IIV, and the Kamp 2020 IIV table was not found. 30% CV on every
# volume and clearance is an ASSUMPTION so population runs show a plausible band.
ASSUMED_RACEMIC_CV = 0.30


@dataclass(frozen=True)
class Absorption:
    """How a non-IV racemic dose reaches the central compartment."""

    bioavailability: float
    bioavailability_source: str
    ka_per_min: float | None  # first-order absorption from a depot; None = zero-order only
    ka_source: str
    zero_order_min: float = 0.0  # release duration into the depot/central (0 = bolus)
    zero_order_source: str = ""


# Route absorption for the racemic models (reference §2). Every ka is an ASSUMPTION: no
# primary source gives one; each was chosen so the typical Kamp 2020 subject reproduces the
# published Tmax (checked in tests/pharmacology/test_validation.py).
RACEMIC_ABSORPTION: dict[Route, Absorption] = {
    Route.IM: Absorption(
        0.93,
        "F 0.93: Clements 1982 as cited by secondary sources [S]",
        1.4 * PER_HOUR,
        "ka 1.4 h⁻¹ ASSUMED (no published ka); gives Tmax ≈ 20 min (BJA Education) [S]",
    ),
    Route.ORAL: Absorption(
        0.23,
        "F 23 ± 9%: Chong et al. 2006, Pain Med 7:469",
        0.57 * PER_HOUR,
        "ka 0.57 h⁻¹ ASSUMED; gives Tmax ≈ 0.96 h (Chong 2006: 0.96 ± 0.8 h)",
    ),
    Route.SUBLINGUAL: Absorption(
        0.29,
        "F 29% (90% CI 27–31): Rolan et al. 2014, BJCP 77:1011 (SL wafer)",
        0.72 * PER_HOUR,
        "ka 0.72 h⁻¹ ASSUMED; gives Tmax ≈ 0.75 h (Rolan 2014: 0.75 h, 0.25–1.0)",
    ),
    Route.ORAL_ER: Absorption(
        0.17,
        "F 17%: mean of S 15% and R 19% for the 40 mg prolonged-release tablet, Hasler 2021",
        None,
        "no depot: release is the rate-limiting step",
        600.0,
        "zero-order release over ~10 h ASSUMED from Glue 2020 (R-107 'release ~10 h')",
    ),
}


@dataclass(frozen=True)
class SamplingSite:
    """Where the blood the model was fitted to was drawn, and how we know.

    It matters for IV infusions: during an infusion arterial concentrations run higher than
    venous ones (Henthorn et al. 2018, Anesthesiology 129:260, simultaneous arterial and
    forearm-venous ketamine samples), so a model of arterial blood over-predicts what a
    clinic's venous blood test would show at the end of the infusion. `site` is None where
    no source consulted says; `confirmed` is False where the site is inferred (the reason
    is in `source`)."""

    site: Literal["arterial", "venous"] | None
    confirmed: bool
    source: str

    @property
    def label(self) -> str:
        """For clinicians: "arterial blood", "probably venous blood (not confirmed)"."""
        if self.site is None:
            return "blood sampling site not confirmed"
        return self.short if self.confirmed else f"{self.short} (not confirmed)"

    @property
    def short(self) -> str:
        """For a chart legend: "arterial blood", "probably venous blood"."""
        if self.site is None:
            return "blood site not confirmed"
        return f"{self.site} blood" if self.confirmed else f"probably {self.site} blood"


@dataclass(frozen=True)
class Model:
    """A linear PK model: parameters, variability, and how to build its rate matrix.

    `typical(weight_kg, age_years)` answers the typical subject's parameters (arrays of
    one value); `iiv_cv` the CV (fraction) of the log-normal IIV per parameter;
    `logit_iiv_sd` SDs of additive IIV on the logit scale (Perez-Ruixo FRn); `sampling`
    the blood its concentrations stand for."""

    key: str
    title: str
    drug: str
    citation: str
    published: str
    assumed: str
    sampling: SamplingSite
    routes: tuple[Route, ...]
    typical: Callable[[float, float], dict[str, float]]
    iiv_cv: Mapping[str, float]
    s_fraction: float  # share of the measured concentration that is S-ketamine (effect)
    logit_iiv_sd: Mapping[str, float] = field(default_factory=dict)
    has_metabolite: bool = False


def _k_model(v1_per_kg: float, k10: float, k12: float, k21: float, k13=0.0, k31=1.0):
    """Micro-constants (min⁻¹) and a weight-proportional V1, as opentiva publishes them,
    turned into volumes and clearances so variability acts on physiological terms."""

    def typical(weight_kg: float, age_years: float) -> dict[str, float]:
        v1 = v1_per_kg * weight_kg
        params = {"V1": v1, "CL": k10 * v1, "Q2": k12 * v1, "V2": v1 * k12 / k21}
        if k13:
            params |= {"Q3": k13 * v1, "V3": v1 * k13 / k31}
        return params

    return typical


def _kamp2020(weight_kg: float, age_years: float) -> dict[str, float]:
    # Kamp et al. 2020 as encoded by opentiva ("Klamp"): linear scaling with W/70.
    scale = weight_kg / 70
    return {
        "V1": 25 * scale,
        "V2": 56 * scale,
        "V3": 157 * scale,
        "CL": 84 * scale * PER_HOUR,
        "Q2": 161 * scale * PER_HOUR,
        "Q3": 79 * scale * PER_HOUR,
    }


_RACEMIC_ROUTES = (Route.IV, Route.IM, Route.ORAL, Route.SUBLINGUAL, Route.ORAL_ER)
_RACEMIC_ASSUMED = (
    "No IIV is published for this model: 30% CV on every volume and clearance is assumed. "
    "The effect-site rate is Olofsen 2022's (t½ 8.3 min), not the opentiva ke0 (which "
    "comes from an assumed 1-min time to peak effect). Non-IV routes: absorption as "
    "listed per route (F published, ka assumed). The effect is driven by the S-enantiomer, "
    "taken as half the racemic concentration (enantiomers assumed to share disposition; "
    "Hasler 2021 found similar Vss and clearance for S and R)."
)


def _racemic(
    key: str, title: str, citation: str, published: str, sampling: SamplingSite, typical
) -> Model:
    names = typical(70.0, 40.0)  # the parameters this structure has (2 or 3 compartments)
    return Model(
        key=key,
        title=title,
        drug="racemic ketamine",
        citation=citation,
        published=published,
        assumed=_RACEMIC_ASSUMED,
        sampling=sampling,
        routes=_RACEMIC_ROUTES,
        typical=typical,
        iiv_cv=dict.fromkeys(names, ASSUMED_RACEMIC_CV),
        s_fraction=0.5,
    )


DOMINO = _racemic(
    "domino",
    "Domino (3-compartment, racemic IV)",
    "Domino et al. 1984 (PMID 7198883) as implemented in opentiva 1.1.2 / Stanpump",
    "V1 0.063 L/kg; k10 0.4381, k12 0.5921, k13 0.5900, k21 0.2470, k31 0.0146 min⁻¹",
    SamplingSite(
        "arterial",
        confirmed=False,
        source=(
            "Not stated in the sources consulted: Domino's primary paper was not available "
            "to check. Inferred: a central volume of 0.063 L/kg (4.4 L at 70 kg, about the "
            "plasma volume) is what early arterial sampling gives."
        ),
    ),
    _k_model(0.063, 0.4381, 0.5921, 0.2470, 0.5900, 0.0146),
)
CLEMENTS = _racemic(
    "clements",
    "Clements 250 µg/kg (2-compartment, racemic IV)",
    "Clements et al. 1981, BJA 53:27 (PMID 7459184), 250 µg/kg data, via opentiva 1.1.2",
    "V1 1.75 L/kg; k10 0.0109, k12 0.0186, k21 0.0137 min⁻¹",
    SamplingSite(
        "venous",
        confirmed=False,
        source=(
            "Not stated in the sources consulted: the methods of Clements 1981 were not "
            "available to check. Inferred: healthy volunteers, and a large central volume "
            "(1.75 L/kg, 123 L at 70 kg) of the kind venous sampling gives; it reproduces "
            "the venous 185 ng/mL of Zarate 2006 within 5%."
        ),
    ),
    _k_model(1.7522, 0.0109, 0.0186, 0.0137),
)
HIJAZI = _racemic(
    "hijazi",
    "Hijazi 2003 (2-compartment, racemic IV, ICU patients)",
    "Hijazi et al. 2003, BJA 90:155 (PMID 12538370), via opentiva 1.1.2",
    "V1 1.08 L/kg; k10 0.0333, k12 0.0088, k21 0.0030 min⁻¹ (CL 36 mL/min/kg, t½ 4.9 h)",
    SamplingSite(
        None,
        confirmed=False,
        source=(
            "Not stated in the sources consulted (Hijazi 2003 abstract; the full text was "
            "not available). ICU patients often have arterial lines, but its large central "
            "volume (1.08 L/kg) is more like venous sampling: no inference is made."
        ),
    ),
    _k_model(1.08, 0.0333, 0.0088, 0.0030),
)
KAMP2020 = _racemic(
    "kamp2020",
    "Kamp 2020 (3-compartment, racemic IV)",
    "Kamp et al. 2020, Anesthesiology 133:1192 (PMID 32997732), as opentiva 'Klamp'",
    "V1 25, V2 56, V3 157 L; CL 84, Q2 161, Q3 79 L/h, all × W/70 "
    "(opentiva's values; not yet checked against the paper's table)",
    SamplingSite(
        "arterial",
        confirmed=True,
        source=(
            "Kamp et al. 2020 (abstract): the model has one central arterial compartment, "
            "with two venous delay compartments that this parameter set does not carry, "
            "so its plasma concentration is arterial. Kamp 2020 also found that models "
            "fitted to venous samples behave differently (longer context-sensitive "
            "half-times)."
        ),
    ),
    _kamp2020,
)


def _perez_ruixo(weight_kg: float, age_years: float) -> dict[str, float]:
    # Perez-Ruixo et al. 2021 Table 3 (via nlmixr2lib); no effect of body weight.
    return {
        "FRn": 0.54,
        "ka_n": 2.93 * PER_HOUR,
        "ka_sw": 1.45 * PER_HOUR,
        "ka_po": 0.97 * PER_HOUR,
        "Vc": 192.0,
        "Q1": 84.3 * PER_HOUR,
        "Vp1": 143.0,
        "Q2": 37.6 * PER_HOUR,
        "Vp2": 417.0,
        # Qh falls 2.19 L/h per year of age above 60.
        "Qh": (151.0 - 2.19 * max(0.0, age_years - 60)) * PER_HOUR,
        "Vh": 101.0,
        "kel": 1.11 * PER_HOUR,
        "kmet": 2.77 * PER_HOUR,
        "Vcn": 70.0,
        "CLn": 38.0 * PER_HOUR,
        "Vpn": 115.0,
        "Q3": 26.1 * PER_HOUR,
    }


# Perez-Ruixo 2021 fixed (non-IIV) absorption constants.
PR_FGUT = 0.64
PR_DSW_MIN = 0.53 * 60
PR_DPO_MIN = 0.32 * 60
PR_LATER_DEVICE_FRN = 0.62  # FRn × 0.62 for each later device in a session
PR_DEVICE_MG = 28.0  # one SPRAVATO device: 28 mg esketamine base (label)

PEREZ_RUIXO_2021 = Model(
    key="perez_ruixo_2021",
    title="Perez-Ruixo 2021 (esketamine intranasal population model)",
    drug="esketamine",
    citation="Perez-Ruixo et al. 2021, Clin Pharmacokinet 60:501 (Table 3, via nlmixr2lib)",
    published=(
        "3-compartment esketamine with a well-stirred hepato-portal compartment; 2-compartment "
        "apparent noresketamine; nasal fraction FRn 0.54 per device (× 0.62 for each later "
        "device) absorbed at nasal ka 2.93 h⁻¹; swallowed part (1−FRn)·Fgut (0.64) zero-order "
        "over 0.53 h then swallowed ka 1.45 h⁻¹ into the liver; oral solution Fgut, 0.32 h, "
        "oral ka 0.97 h⁻¹; "
        "Qh −2.19 L/h per year over 60; IIV as Table 3."
    ),
    assumed=(
        "IIV of kmet is blank in Table 3: 30% CV placeholder (as nlmixr2lib). Devices are "
        "5 min apart (SPRAVATO instructions). Race covariates are not offered. Noresketamine "
        "AUC is over-predicted 1.4–1.6× (nlmixr2lib errata). Effect site: Olofsen 2022 ke0."
    ),
    sampling=SamplingSite(
        "venous",
        confirmed=False,
        source=(
            "Not stated in the sources consulted (the paper's abstract and nlmixr2lib "
            "describe plasma samples only). Inferred: pooled Phase I–III esketamine trials, "
            "most in outpatients with treatment-resistant depression, where blood is drawn "
            "from a vein."
        ),
    ),
    routes=(Route.INTRANASAL, Route.IV, Route.ORAL),
    typical=_perez_ruixo,
    iiv_cv={
        "ka_n": 0.615,
        "ka_sw": 1.32,
        "ka_po": 1.32,
        "Vc": 0.275,
        "Vp1": 0.493,
        "Qh": 0.232,
        "Vh": 0.346,
        "kel": 1.20,
        "kmet": 0.30,
        "Vcn": 0.316,
        "CLn": 0.254,
    },
    logit_iiv_sd={"FRn": 0.708},
    s_fraction=1.0,
    has_metabolite=True,
)

MODELS: dict[str, Model] = {
    m.key: m for m in (DOMINO, CLEMENTS, HIJAZI, KAMP2020, PEREZ_RUIXO_2021)
}

# The model each route uses unless the user picks another (docs/pharmacology.md, "Default
# models"). IV: Clements, the only published racemic model whose typical end-of-infusion
# Cp after 0.5 mg/kg over 40 min lies within ±20% of the venous 185 ng/mL of Zarate 2006
# (177 ng/mL; Kamp 2020, fitted to arterial samples, predicts 253). IM, oral, sublingual and
# extended release keep Kamp 2020: their absorption rates are assumptions tuned so that
# Kamp 2020 reproduces each published Tmax (with Clements the same rates put the IM peak
# at 46 min instead of about 20).
DEFAULT_MODELS: dict[Route, Model] = {
    Route.IV: CLEMENTS,
    Route.INTRANASAL: PEREZ_RUIXO_2021,
    Route.IM: KAMP2020,
    Route.ORAL: KAMP2020,
    Route.SUBLINGUAL: KAMP2020,
    Route.ORAL_ER: KAMP2020,
}
