"""A demo clinic with realistic, entirely synthetic staff and patients.

Everything is written through the services, so the demo's audit trail is real.
Seeding is idempotent: a second run finds the clinics and leaves them alone.
Later capabilities add their own steps to seed_steps().
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, User
from ketacare.accounts.policy import Role
from ketacare.accounts.services import clinic_create, clinic_update, membership_set
from ketacare.consent.services import documents_seed
from ketacare.demo.ledger_seed import seed_ledger
from ketacare.demo.measures_seed import seed_measures
from ketacare.demo.outcomes_seed import COHORT_SIZE, seed_outcomes
from ketacare.demo.planning_seed import seed_planning
from ketacare.demo.referrals_seed import seed_referrals
from ketacare.demo.schedule_seed import seed_schedule
from ketacare.demo.sessions_seed import seed_sessions
from ketacare.patients import services as patients
from ketacare.patients.models import (
    Allergy,
    BodyMeasurement,
    Consent,
    Diagnosis,
    Medication,
    PatientRecord,
)

DEMO_PASSWORD = "ketacare-demo"  # noqa: S105 - synthetic demo accounts only


@dataclass(frozen=True)
class DemoClinic:
    slug: str
    name: str
    time_zone: str
    patients: int
    site: tuple[tuple[str, str], ...] = ()  # the REMS form's setting details (fictional)


CLINICS = [
    DemoClinic(
        "riverside",
        "Riverside Ketamine Clinic",
        "Europe/London",
        48,
        (
            ("site_address", "12 Riverside Drive, Suite 200"),
            ("site_city", "Portland"),
            ("site_state", "OR"),
            ("site_zip", "97201"),
            ("site_phone", "+1 503 555 0117"),
        ),
    ),
    DemoClinic(
        "harbour",
        "Harbour Mood Centre",
        "America/New_York",
        24,
        (
            ("site_address", "45 Harbour Street, Suite 3"),
            ("site_city", "Brooklyn"),
            ("site_state", "NY"),
            ("site_zip", "11201"),
            ("site_phone", "+1 718 555 0142"),
        ),
    ),
]
# username, display name, title, {clinic slug: role}
STAFF = [
    (
        "admin",
        "Morgan Reyes",
        "Clinic manager",
        {"riverside": Role.CLINIC_ADMIN, "harbour": Role.CLINIC_ADMIN},
    ),
    (
        "dr.okafor",
        "Dr Adaeze Okafor",
        "Consultant psychiatrist",
        {"riverside": Role.PRESCRIBER, "harbour": Role.PRESCRIBER},
    ),
    ("dr.lindqvist", "Dr Erik Lindqvist", "Anaesthesiologist", {"riverside": Role.PRESCRIBER}),
    (
        "np.walsh",
        "Siobhan Walsh NP",
        "Psychiatric nurse practitioner",
        {"harbour": Role.PRESCRIBER},
    ),
    ("nurse.lee", "Jordan Lee RN", "Infusion nurse", {"riverside": Role.NURSE}),
    ("nurse.santos", "Ana Santos RN", "Infusion nurse", {"harbour": Role.NURSE}),
    ("therapist.garcia", "Dr Lucia Garcia", "Clinical psychologist", {"riverside": Role.THERAPIST}),
    ("frontdesk.khan", "Imran Khan", "Receptionist", {"riverside": Role.FRONT_DESK}),
    (
        "compliance.novak",
        "Petra Novak",
        "Compliance officer",
        {"riverside": Role.COMPLIANCE, "harbour": Role.COMPLIANCE},
    ),
    ("researcher.ito", "Dr Kenji Ito", "Research fellow", {"riverside": Role.RESEARCHER}),
]

GIVEN_F = [
    "Amelia",
    "Olivia",
    "Isla",
    "Priya",
    "Chloe",
    "Maya",
    "Hannah",
    "Zara",
    "Grace",
    "Leah",
    "Sofia",
    "Nadia",
    "Ruth",
    "Ellen",
    "Fatima",
    "Ines",
    "Megan",
    "Aoife",
]
GIVEN_M = [
    "Oliver",
    "Noah",
    "Arjun",
    "Thomas",
    "Samuel",
    "Daniel",
    "Kwame",
    "Luca",
    "Jonah",
    "Marcus",
    "Patrick",
    "Tariq",
    "Felix",
    "Owen",
    "Rhys",
    "Mateo",
    "Callum",
    "Ravi",
]
FAMILY = [
    "Patel",
    "Jones",
    "Williams",
    "Nowak",
    "Okonkwo",
    "Murphy",
    "Chen",
    "Brown",
    "Ahmed",
    "Taylor",
    "Davies",
    "Evans",
    "Kowalski",
    "Singh",
    "Hughes",
    "Rossi",
    "Walker",
    "Kim",
    "Fernandes",
    "Byrne",
    "Thompson",
    "Ali",
    "Clarke",
    "Moreau",
    "Ward",
    "Lopez",
]
DIAGNOSES = [
    ("F33.2", "Major depressive disorder, recurrent, severe without psychotic features"),
    ("F33.1", "Major depressive disorder, recurrent, moderate"),
    ("F32.2", "Major depressive disorder, single episode, severe without psychotic features"),
    ("F31.4", "Bipolar disorder, current episode depressed, severe, without psychotic features"),
]
COMORBID = [
    ("F41.1", "Generalized anxiety disorder"),
    ("F43.10", "Post-traumatic stress disorder, unspecified"),
    ("I10", "Essential (primary) hypertension"),
    ("E66.9", "Obesity, unspecified"),
]
MEDICATIONS = [
    ("Sertraline", "150 mg", "once daily", "oral"),
    ("Venlafaxine XL", "225 mg", "once daily", "oral"),
    ("Bupropion XL", "300 mg", "once daily", "oral"),
    ("Mirtazapine", "30 mg", "at night", "oral"),
    ("Lamotrigine", "100 mg", "twice daily", "oral"),
    ("Lorazepam", "1 mg", "as needed, max twice daily", "oral"),
    ("Aripiprazole", "5 mg", "once daily", "oral"),
    ("Lithium carbonate", "400 mg", "at night", "oral"),
    ("Amlodipine", "5 mg", "once daily", "oral"),
    ("Levothyroxine", "75 micrograms", "once daily", "oral"),
]
ALLERGIES = [
    ("Penicillin", "Urticarial rash", Allergy.Severity.MODERATE),
    ("Latex", "Contact dermatitis", Allergy.Severity.MILD),
    ("Sulfonamides", "Stevens-Johnson syndrome", Allergy.Severity.LIFE_THREATENING),
    ("Codeine", "Nausea and vomiting", Allergy.Severity.MILD),
    ("Ondansetron", "Headache", Allergy.Severity.MILD),
]
REFERRERS = [
    ("Dr Helen Shaw", "Riverside Medical Practice"),
    ("Dr Omar Haddad", "Northgate Community Mental Health Team"),
    ("Dr Claire Bennett", "St Anne's Hospital Liaison Psychiatry"),
]


def ensure_staff() -> dict[str, User]:
    users = {}
    for username, display, title, _roles in STAFF:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "display_name": display,
                "professional_title": title,
                "email": f"{username}@example.org",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        users[username] = user
    return users


def seed_clinic(spec: DemoClinic, users: dict[str, User]) -> Clinic:
    # Two-factor sign-in is off in the demo clinics (it is on by default for real ones): a
    # visitor trying the demo has no authenticator app set up for these synthetic accounts.
    # Any demo user can still enrol on the Sign-in & security page (README, docs/security.md).
    clinic = clinic_create(
        name=spec.name, slug=spec.slug, time_zone=spec.time_zone, mfa_required=False
    )
    if spec.site:
        clinic = clinic_update(clinic=clinic, data=dict(spec.site), actor=users["admin"])
    for username, _display, _title, roles in STAFF:
        if spec.slug in roles:
            membership_set(
                clinic=clinic, user=users[username], role=roles[spec.slug], actor=users["admin"]
            )
    prescriber = next(
        users[u] for u, *_r, roles in STAFF if roles.get(spec.slug) == Role.PRESCRIBER
    )
    access = ClinicAccess(user=prescriber, clinic=clinic, role=Role.PRESCRIBER)
    with transaction.atomic():
        documents_seed(clinic)  # the default consent document of each form, version 1
    rng = random.Random(f"ketacare-demo-{spec.slug}")  # same demo every time
    today = clinic.today()  # the clinic's own date: nothing it records is in its future
    for number in range(1, spec.patients + 1):
        seed_patient(access, rng, f"{spec.slug[:2].upper()}-{10000 + number}", today)
    return clinic


def seed_patient(access: ClinicAccess, rng: random.Random, mrn: str, today: dt.date) -> None:
    sex = rng.choice(
        ["female", "male", "female", "male", "intersex"]
        if rng.random() < 0.05
        else ["female", "male"]
    )
    given = rng.choice(GIVEN_F if sex == "female" else GIVEN_M)
    family = rng.choice(FAMILY)
    born = today - dt.timedelta(days=rng.randint(19 * 365, 72 * 365))
    referrer = rng.choice(REFERRERS)
    patient = patients.patient_create(
        access=access,
        data={
            "mrn": mrn,
            "legal_given_name": given,
            "legal_family_name": family,
            "preferred_name": given[:3] if rng.random() < 0.15 else "",
            "date_of_birth": born,
            "sex_at_birth": sex,
            "gender_identity": rng.choice(["Woman", "Man", "Non-binary", ""])
            if rng.random() < 0.3
            else ("Woman" if sex == "female" else "Man"),
            "phone": f"07700 9{rng.randint(10000, 99999)}",
            "email": f"{given.lower()}.{family.lower()}@example.net",
            "address": f"{rng.randint(1, 200)} {rng.choice(['Mill', 'Church', 'Station', 'Park'])} "
            f"Road",
            "emergency_contact_name": f"{rng.choice(GIVEN_F + GIVEN_M)} {family}",
            "emergency_contact_relationship": rng.choice(
                ["Partner", "Parent", "Sibling", "Friend"]
            ),
            "emergency_contact_phone": f"07700 9{rng.randint(10000, 99999)}",
            "referring_clinician_name": referrer[0],
            "referring_clinician_organisation": referrer[1],
            "no_known_allergies": rng.random() < 0.6,
            # One patient in eight reads Spanish: their links and messages are in Spanish.
            # (From the MRN, not the random stream, so the rest of the demo is unchanged.)
            "preferred_language": "es" if int(mrn.rsplit("-", 1)[1]) % 8 == 3 else "en",
        },
        # Synthetic people: two drawn with the same name and birthday are two people.
        confirm_not_duplicate=True,
    )
    add = _adder(access, patient.pk)
    height = Decimal(rng.randint(152, 192))
    weight = Decimal(rng.randint(52, 118))
    for weeks_ago in sorted(rng.sample(range(0, 26), rng.randint(1, 4)), reverse=True):
        drift = Decimal(rng.randint(-20, 20)) / 10
        add(
            BodyMeasurement,
            {
                "measured_on": today - dt.timedelta(weeks=weeks_ago),
                "weight_kg": weight + drift,
                "height_cm": height,
            },
        )
    if not patient.no_known_allergies and rng.random() < 0.7:
        substance, reaction, severity = rng.choice(ALLERGIES)
        add(Allergy, {"substance": substance, "reaction": reaction, "severity": severity})
    code, text = rng.choice(DIAGNOSES)
    add(
        Diagnosis,
        {
            "icd10_code": code,
            "description": text,
            "is_primary": True,
            "onset_date": today - dt.timedelta(days=rng.randint(200, 3000)),
        },
    )
    if rng.random() < 0.4:
        code, text = rng.choice(COMORBID)
        add(Diagnosis, {"icd10_code": code, "description": text})
    for name, dose, frequency, route in rng.sample(MEDICATIONS, rng.randint(1, 3)):
        add(
            Medication,
            {
                "name": name,
                "dose": dose,
                "frequency": frequency,
                "route": route,
                "start_date": today - dt.timedelta(days=rng.randint(30, 900)),
            },
        )
    consent_day = today - dt.timedelta(days=rng.randint(1, 120))
    add(
        Consent,
        {
            "kind": "treatment",
            "decision": "granted",
            "document_version": "2026.1",
            "decided_on": consent_day,
        },
    )
    add(
        Consent,
        {
            "kind": "research",
            "decision": rng.choice(["granted", "declined"]),
            "document_version": "2026.1",
            "decided_on": consent_day,
        },
    )


def _adder(
    access: ClinicAccess, patient_id: uuid.UUID
) -> Callable[[type[PatientRecord], dict[str, object]], None]:
    def add(model: type[PatientRecord], data: dict[str, object]) -> None:
        patients.record_add(access=access, patient_id=patient_id, model=model, data=data)

    return add


def seed_steps(outcome_cohort: int) -> list[Callable[[dict[str, User]], None]]:
    """The capabilities' seed steps, in order (later ones build on earlier ones)."""
    return [
        seed_measures,
        seed_planning,
        seed_sessions,
        functools.partial(seed_outcomes, cohort_size=outcome_cohort),
        seed_ledger,
        seed_schedule,
        seed_referrals,
    ]


def seed_demo(
    *, progress: Callable[[str], None] = lambda _m: None, outcome_cohort: int = COHORT_SIZE
) -> bool:
    """Seed the demo clinics, with `outcome_cohort` patients in the outcome cohort.
    Returns False if they were already there."""
    if Clinic.objects.filter(slug=CLINICS[0].slug).exists():
        return False
    with transaction.atomic():
        users = ensure_staff()
        for spec in CLINICS:
            progress(f"Seeding {spec.name} ({spec.patients} patients)")
            seed_clinic(spec, users)
        for step in seed_steps(outcome_cohort):
            step(users)
    return True


def account_table() -> list[tuple[str, str]]:
    rows = []
    for username, display, _title, roles in STAFF:
        where = ", ".join(f"{role.label} at {slug}" for slug, role in roles.items())
        rows.append((username, f"{display}: {where}"))
    return rows
