"""The default consent documents, seeded for each clinic (a clinic edits its own copy;
each edit is a new version). Written in plain words from the patient seed document and
the clinical reference notes; every statement's source is listed for staff.

Strings are marked for translation; a document is stored in the words it was seeded or
edited in, so a signed version never changes."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from ketacare.consent.core import Question


@dataclass(frozen=True)
class DefaultDocument:
    treatment_form: str  # patients.Consent.TreatmentForm value ("" = every form)
    title: str
    body: str  # paragraphs separated by blank lines; "## " starts a heading
    sources: tuple[str, ...]
    questions: tuple[Question, ...]


SEED = "the clinic's patient information on ketamine therapy"
KETALAR = (
    "Ketalar (ketamine) label: anaesthetic use; IV induction 1–4.5 mg/kg (clinical.md §1.1) [V]"
)
KETALAR_WARNINGS = (
    "Ketalar label warnings: changes in blood pressure and heart rate, emergence reactions, "
    "breathing depression, cystitis with chronic use (drugcentral.org; clinical.md §3.4) [V]"
)
SCHEDULE_III = (
    "Ketamine and esketamine are Schedule III; openFDA NDC 50458-028 (clinical.md §8) [V]"
)
APA = (
    "APA consensus (Sanacora et al., JAMA Psychiatry 2017): every dose medically "
    "supervised; at-home self-administration discouraged (clinical.md §1.2) [V]"
)
SPRAVATO_LABEL = (
    "Spravato label: boxed warning (sedation, dissociation, breathing depression, abuse and "
    "misuse, suicidal thoughts); pregnancy not recommended (clinical.md §3.1–3.2) [V]"
)
SPRAVATO_INCIDENCE = (
    "Spravato label incidence: sedation 48–61%, dissociation 61–84%, loss of consciousness "
    "0.3–0.4% (prescriberpoint.com; clinical.md §2.2) [V]"
)
SPRAVATO_DRIVING = (
    "Spravato label: observe ≥2 h; no driving or machinery until the next day after a "
    "restful sleep; someone else drives the patient home (clinical.md §4.5) [V]"
)
SPRAVATO_BP = (
    "Spravato HCP dosing page: blood pressure before dosing and about 40 min after "
    "(spravatohcp.com; clinical.md §2.2) [V]"
)
REMS = (
    "Spravato REMS (spravatorems.com; FDA REMS page): patient enrollment before the first "
    "treatment, signed by patient and prescriber; given only in a certified setting, never "
    "for home use; prescriber on site; a monitoring form after every session "
    "(clinical.md §5.1–5.3) [V]"
)
SPRAVATO_APPROVAL = (
    "Spravato approvals: treatment-resistant depression; depressive symptoms with acute "
    "suicidal thoughts; monotherapy for TRD, 2025 (clinical.md §2.1) [V]"
)
IV_DRIVING = (
    "Clinic practice after IV ketamine: back to baseline, released to a responsible adult, "
    "no driving for 24 h (zenpsychiatric.com; clinical.md §4.5) [S]"
)
ER_TRIAL = (
    "Glue et al., Nature Medicine 2024: extended-release oral ketamine R-107; no change in "
    "blood pressure, minimal dissociation or sedation; regulatory status not found "
    "(clinical.md §2.5) [V]"
)
ORAL = (
    "Andrade, J Clin Psychiatry 2019 (oral); Lara et al. 2013 (sublingual) (clinical.md §2.4) [V]"
)
ALTERNATIVES = (
    "Treatment-resistance staging names antidepressant trials, augmentation, ECT "
    "(clinical.md §6) [V]; the patient information names antidepressants and therapy"
)


def _p(*parts: object) -> str:
    return "\n\n".join(str(p) for p in parts)


def _shared_risks(extra: str = "") -> str:
    return _p(
        _("## Possible side effects"),
        _(
            "During and soon after a session you may feel detached from yourself or your "
            "surroundings, as if things are not real. This is called dissociation. You may "
            "also feel dizzy or sleepy. These effects usually pass within a few hours."
        ),
        _(
            "Your blood pressure can rise during a session. Staff check it before and after "
            "the dose, and stop or wait if it is too high."
        ),
        *([extra] if extra else []),
        _(
            "Ketamine can be misused. It is a controlled medicine (Schedule III). Tell us if "
            "you have ever had a problem with alcohol or drugs."
        ),
        _(
            "Using ketamine often, over a long time, can irritate the bladder. Tell us if it "
            "hurts to pass urine, or if you need to go much more often."
        ),
        _(
            "The relief often lasts days to weeks, so you may need more sessions to keep "
            "feeling better. Ketamine does not help everyone."
        ),
    )


def _alternatives() -> str:
    return _p(
        _("## Other choices"),
        _(
            "You do not have to have this treatment. Other choices include antidepressant "
            "medicines, talking therapy, electroconvulsive therapy (ECT), or no new "
            "treatment. Your prescriber can talk them through with you."
        ),
    )


def _withdraw() -> str:
    return _p(
        _("## You can change your mind"),
        _(
            "You can stop at any time, and you can take back this consent at any time: use "
            "your consent link or tell the clinic. No more doses will be given after you do. "
            "Stopping will not change the rest of your care here."
        ),
    )


def _supervised(after: str) -> str:
    return _p(
        _("## Why a session is supervised"),
        _(
            "Every dose is given and watched by our medical team. We check your breathing, "
            "heart and blood pressure, and we stay with you until you are ready to leave."
        ),
        after,
    )


def _q_withdraw() -> Question:
    return Question(
        text=str(_("Can you take back your consent after you sign?")),
        options=(str(_("Yes, at any time")), str(_("No, signing is final"))),
        correct=0,
        explanation=str(
            _("You can take back your consent at any time, with your link or by telling us.")
        ),
    )


def _q_off_label(form: str) -> Question:
    return Question(
        text=str(_("Is ketamine by {form} approved for depression?")).format(form=form),
        options=(
            str(_("Yes, it is approved for depression")),
            str(_("No, using it for depression is off-label")),
        ),
        correct=1,
        explanation=str(
            _(
                "Ketamine is approved as an anaesthetic. Using it for depression is "
                "off-label: a doctor may prescribe it, but it is not approved for that use."
            )
        ),
    )


def _q_drive_home() -> Question:
    return Question(
        text=str(_("Can you drive yourself home after a session?")),
        options=(str(_("Yes, once I leave")), str(_("No, someone else must take me home"))),
        correct=1,
        explanation=str(
            _("Ketamine slows your reactions for hours. Someone else must take you home.")
        ),
    )


def _off_label(how: str) -> str:
    return _p(
        _("## Its approval"),
        _(
            "Ketamine is approved as an anaesthetic (a medicine for surgery). Using it for "
            "depression, {how}, is off-label. That means a doctor may prescribe it, but it "
            "has not been approved for depression."
        ).format(how=how),
    )


def _racemic(form: str, title: str, what: str, how: str, extra: tuple[str, ...]) -> DefaultDocument:
    after = str(
        _(
            "Someone else must take you home. Do not drive, or use machines, for 24 hours "
            "after a session."
        )
    )
    body = _p(
        _("## What this treatment is"),
        what,
        _off_label(how),
        _supervised(after),
        _shared_risks(),
        _alternatives(),
        _withdraw(),
    )
    return DefaultDocument(
        treatment_form=form,
        title=title,
        body=body,
        sources=(
            SEED,
            KETALAR,
            KETALAR_WARNINGS,
            SCHEDULE_III,
            APA,
            IV_DRIVING,
            ALTERNATIVES,
            *extra,
        ),
        questions=(_q_off_label(how), _q_drive_home(), _q_withdraw()),
    )


def default_documents() -> list[DefaultDocument]:
    """One document per form of treatment the protocols use."""
    iv = _racemic(
        "iv",
        str(_("Consent to ketamine infusions (IV)")),
        str(
            _(
                "Ketamine is given slowly through a drip into a vein, usually over about 40 "
                "minutes. It works on the brain's glutamate system, unlike most "
                "antidepressants, and can ease depression within hours."
            )
        ),
        str(_("given into a vein")),
        (),
    )
    im = _racemic(
        "im",
        str(_("Consent to ketamine injections (IM)")),
        str(
            _(
                "Ketamine is given as an injection into a muscle. It works on the brain's "
                "glutamate system, unlike most antidepressants, and can ease depression "
                "within hours."
            )
        ),
        str(_("given into a muscle")),
        (),
    )
    oral = _racemic(
        "oral",
        str(_("Consent to ketamine by mouth")),
        str(
            _(
                "Ketamine is taken by mouth, at the clinic, under our team's watch. Less of "
                "it reaches the blood than by a drip, so the dose is larger."
            )
        ),
        str(_("taken by mouth")),
        (ORAL,),
    )
    sublingual = _racemic(
        "sublingual",
        str(_("Consent to ketamine under the tongue")),
        str(
            _(
                "Ketamine is held under the tongue for a few minutes, then swallowed, at the "
                "clinic under our team's watch."
            )
        ),
        str(_("held under the tongue")),
        (ORAL,),
    )
    return [iv, im, _esketamine(), oral, sublingual, _extended_release()]


def _esketamine() -> DefaultDocument:
    body = _p(
        _("## What this treatment is"),
        _(
            "Esketamine (Spravato) is a nasal spray made from ketamine. It is approved for "
            "depression that has not got better with other medicines, and for depression "
            "with thoughts of suicide. You spray it yourself at the clinic, one device at a "
            "time, with 5 minutes between devices."
        ),
        _("## The Spravato safety program (REMS)"),
        _(
            "Spravato is only given through a safety program called the REMS. Before your "
            "first treatment, you and your prescriber both sign the REMS patient enrolment "
            "form. By joining you agree that:"
        ),
        _(
            "- you use Spravato only at a certified clinic, and never take it home;\n"
            "- a prescriber is on site while you take it and while we watch you;\n"
            "- we watch you for at least 2 hours after each dose, and check your blood "
            "pressure before the dose and about 40 minutes after;\n"
            "- we send a report about each session to the program."
        ),
        _supervised(
            str(
                _(
                    "Do not drive or use machines until the next day, after a restful "
                    "sleep. Someone else must take you home."
                )
            )
        ),
        _shared_risks(
            str(
                _(
                    "Most people feel sleepy, and rarely someone passes out for a short "
                    "time. Spravato can slow your breathing, so we check it at every "
                    "session. Tell us at once if you have thoughts of harming yourself."
                )
            )
        ),
        _(
            "Spravato is not recommended during pregnancy or breastfeeding. Tell us if you "
            "are, or could be, pregnant."
        ),
        _alternatives(),
        _withdraw(),
    )
    return DefaultDocument(
        treatment_form="intranasal",
        title=str(_("Consent to esketamine nasal spray (Spravato)")),
        body=body,
        sources=(
            SEED,
            SPRAVATO_APPROVAL,
            REMS,
            SPRAVATO_LABEL,
            SPRAVATO_INCIDENCE,
            SPRAVATO_BP,
            SPRAVATO_DRIVING,
            KETALAR_WARNINGS,
            SCHEDULE_III,
            ALTERNATIVES,
        ),
        questions=(
            Question(
                text=str(_("Can you drive after an esketamine session?")),
                options=(
                    str(_("Yes, once I leave the clinic")),
                    str(_("No, not until the next day after a restful sleep")),
                ),
                correct=1,
                explanation=str(
                    _(
                        "Esketamine affects driving for hours. Do not drive until the next "
                        "day, after a restful sleep."
                    )
                ),
            ),
            Question(
                text=str(_("Can you take Spravato at home?")),
                options=(str(_("Yes")), str(_("No, only at a certified clinic"))),
                correct=1,
                explanation=str(
                    _("The safety program allows Spravato only at a certified clinic.")
                ),
            ),
            _q_withdraw(),
        ),
    )


def _extended_release() -> DefaultDocument:
    body = _p(
        _("## What this treatment is"),
        _(
            "Extended-release ketamine is a tablet that releases ketamine slowly. In a "
            "research study it was taken twice a week and helped keep depression away for "
            "some people."
        ),
        _("## Its approval"),
        _(
            "Ketamine is approved as an anaesthetic, not for depression. Ask your "
            "prescriber about the approval of the product you will take."
        ),
        _("## Possible side effects"),
        _(
            "In the study, blood pressure did not change, and feeling detached or sleepy "
            "was rare. You may still feel dizzy or sleepy: do not drive until you know how "
            "it affects you."
        ),
        _(
            "Ketamine can be misused. It is a controlled medicine (Schedule III). Using it "
            "often, over a long time, can irritate the bladder: tell us if it hurts to pass "
            "urine."
        ),
        _alternatives(),
        _withdraw(),
    )
    return DefaultDocument(
        treatment_form="oral_er",
        title=str(_("Consent to extended-release ketamine tablets")),
        body=body,
        sources=(SEED, KETALAR, ER_TRIAL, KETALAR_WARNINGS, SCHEDULE_III, ALTERNATIVES),
        questions=(
            Question(
                text=str(_("Is ketamine approved for depression?")),
                options=(str(_("Yes")), str(_("No, it is approved as an anaesthetic"))),
                correct=1,
                explanation=str(
                    _("Ketamine is approved as an anaesthetic; ask about your product.")
                ),
            ),
            _q_withdraw(),
        ),
    )
