"""The protocol catalogue: the shared vocabulary of drugs, routes and indications, and
the protocols KetaCare ships. Pure data, no Django.

A clinic copies a shipped protocol and adjusts the copy; `ketacare.dosing.selectors.
protocol_definition` answers the clinic's current version of a code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Drug(StrEnum):
    KETAMINE = "ketamine"  # racemic
    ESKETAMINE = "esketamine"


class Route(StrEnum):
    IV = "iv"
    IM = "im"
    INTRANASAL = "intranasal"
    ORAL = "oral"
    SUBLINGUAL = "sublingual"
    ORAL_ER = "oral_er"  # extended-release tablet


class Indication(StrEnum):
    MAJOR_DEPRESSION = "major_depression"
    BIPOLAR_DEPRESSION = "bipolar_depression"
    ANXIETY_DISORDER = "anxiety_disorder"  # research protocols only
    PTSD = "ptsd"  # research protocols only


@dataclass(frozen=True)
class Source:
    label: str
    url: str = ""


@dataclass(frozen=True)
class ProtocolDefinition:
    """One version of one protocol. The dosing core extends this with dose, schedule and
    safety fields; screening needs only what is declared here."""

    code: str
    version: int
    name: str
    drug: Drug
    route: Route
    indications: frozenset[Indication]
    research_only: bool = False
    sources: tuple[Source, ...] = field(default_factory=tuple)


DEPRESSION = frozenset({Indication.MAJOR_DEPRESSION, Indication.BIPOLAR_DEPRESSION})
APA_CONSENSUS = Source(
    "Sanacora et al., JAMA Psychiatry 2017 (APA consensus), via Medscape",
    "https://reference.medscape.com/viewarticle/913357_3",
)
SPRAVATO_LABEL = Source(
    "Spravato prescribing information and dosing pages",
    "https://www.spravatohcp.com/dosing-and-administration",
)

SHIPPED: dict[str, ProtocolDefinition] = {
    p.code: p
    for p in (
        ProtocolDefinition(
            code="iv_ketamine",
            version=1,
            name="IV racemic ketamine",
            drug=Drug.KETAMINE,
            route=Route.IV,
            indications=DEPRESSION,
            sources=(APA_CONSENSUS,),
        ),
        ProtocolDefinition(
            code="esketamine_trd",
            version=1,
            name="Intranasal esketamine (Spravato), treatment-resistant depression",
            drug=Drug.ESKETAMINE,
            route=Route.INTRANASAL,
            indications=frozenset({Indication.MAJOR_DEPRESSION}),
            sources=(SPRAVATO_LABEL,),
        ),
    )
}
