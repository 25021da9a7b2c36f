"""The default education articles, one per form of treatment, seeded for each clinic on
first use (a clinic edits its own copy; each edit is a new version). Pure data.

Written in this project's own plain words from the clinic's patient information on ketamine
therapy (the seed document) and the clinical reference notes. The sources shown to
patients name published sources in words; where each fact sits in the reference notes is
kept in the comments here only. Every article must read at grade 8 or lower
(tests/education/test_core.py computes it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DefaultArticle:
    topic: str  # models.Article.Topic value
    slug: str
    title: str
    body: str  # paragraphs separated by blank lines; "## " starts a heading; "- " a list
    sources: tuple[str, ...]
    language: str = "en"  # models.Article.language: "en" or "es" (content_es.py)


# Sources, in words. (Reference notes: seed document; clinical.md §1.2, §1.3, §1.4, §2.1,
# §2.2, §2.3, §2.4, §2.5, §4.4, §4.5, §5.)
SEED = "The clinic's patient information on ketamine therapy for depression"
APA = "American Psychiatric Association consensus statement on ketamine (Sanacora et al., 2017)"
SERIES = "Phillips et al., American Journal of Psychiatry, 2019 (a course of infusions)"
MAINTENANCE = "Andrade, Journal of Clinical Psychiatry, 2017 (keeping the effect going)"
SPRAVATO_LABEL = "Spravato (esketamine) prescribing information"
SPRAVATO_HCP = "Spravato dosing guide for health care providers (spravatohcp.com)"
REMS = "Spravato REMS safety program (spravatorems.com)"
IV_DISCHARGE = "Published clinic practice for going home after an IV ketamine session"
IM = "Loo et al., 2016, and Andrade, 2017 (ketamine given as an injection)"
ORAL = "Andrade, Journal of Clinical Psychiatry, 2019 (ketamine taken by mouth)"
SUBLINGUAL = (
    "Lara et al., International Journal of Neuropsychopharmacology, 2013 (under the tongue)"
)
ER = "Glue et al., Nature Medicine, 2024 (extended-release ketamine tablets)"
ASA = "American Society of Anesthesiologists statement on the safe use of ketamine"


_COMMON_AFTER = """## Side effects

Most side effects are short. They tend to fade within a few hours.

- You may feel detached or dreamy. Your body or the room may seem odd.
- You may feel dizzy or sleepy.
- You may feel sick to your stomach.
- Your blood pressure may go up for a while.

Tell the team at once if you feel unwell. They are there to help.

## How long it helps

Many people feel better within hours or days. The good effect often lasts days to weeks.
So most people need more doses over time to keep it going. Talk therapy helps too. It can
help you use the better days to make lasting changes."""


DEFAULT_ARTICLES: tuple[DefaultArticle, ...] = (
    DefaultArticle(
        topic="iv",
        slug="iv-ketamine",
        title="Ketamine by drip (IV)",
        body="""## What it is

Ketamine is a medicine first used to put people to sleep for surgery. At a much lower dose,
it can ease depression. Most depression pills work on a brain chemical called serotonin.
Ketamine works on a different one, called glutamate. This may help the brain grow new links.

Depression pills can take weeks to work. Ketamine often works much faster, sometimes within
hours.

## What happens at a session

A nurse puts a thin tube in a vein in your arm. The medicine drips in slowly, most often over
about 40 minutes. You sit or lie in a quiet room. The team checks your blood pressure, your
breathing and how you feel. A trained team member stays with you the whole time.

Most people have a course of a few sessions over two or three weeks. After that, some people
have a session now and then to keep the effect going.

"""
        + _COMMON_AFTER
        + """

## Going home

You cannot drive for the rest of the day. Do not drive until the next day. A friend or family
member must take you home. Do not go home alone.""",
        sources=(SEED, APA, SERIES, MAINTENANCE, IV_DISCHARGE),
    ),
    DefaultArticle(
        topic="im",
        slug="im-ketamine",
        title="Ketamine by shot (IM)",
        body="""## What it is

Ketamine is a medicine that can ease depression, often within hours or days. It works in a
different way from most depression pills.

With this form, you get the medicine as a shot into a muscle, most often in your upper arm.
This is called an IM shot. It is quick, and no drip is needed.

## What happens at a session

A nurse or doctor gives you the shot in the clinic. Then you rest in a quiet room. The effect
starts within a few minutes. The team checks your blood pressure and how you feel. A trained
team member stays with you until the effect wears off.

"""
        + _COMMON_AFTER
        + """

## Going home

Do not drive for the rest of the day. A friend or family member must take you home.""",
        sources=(SEED, IM, APA, IV_DISCHARGE),
    ),
    DefaultArticle(
        topic="intranasal",
        slug="esketamine-nasal-spray",
        title="Esketamine nasal spray (Spravato)",
        body="""## What it is

Spravato is a nose spray. It holds esketamine, a close relative of ketamine. It is approved
for depression that has not got better with other medicines. You use it along with a
depression pill that you take by mouth.

You use the spray yourself, but only at the clinic. You can never take it home. Before your
first dose, you and your doctor sign you up for a safety program.

## What happens at a session

The team checks your blood pressure before the dose. You spray the medicine into your nose.
The team checks your blood pressure again about 40 minutes later. They check your breathing
too.

You stay at the clinic for at least two hours. Then the team checks that you are well enough
to leave. Most people have two sessions a week at first. Later, sessions are less often.

"""
        + _COMMON_AFTER
        + """

## Going home

Someone else must drive you home. Do not drive or use machines until the next day, after you
have had a good night's sleep.""",
        sources=(SEED, SPRAVATO_LABEL, SPRAVATO_HCP, REMS),
    ),
    DefaultArticle(
        topic="oral",
        slug="oral-ketamine",
        title="Ketamine you swallow or hold under your tongue",
        body="""## What it is

Ketamine can also come as a liquid, a tablet or a lozenge. You either swallow it or hold it
under your tongue until it melts. Less of the medicine reaches your blood this way. So the
dose is bigger than a dose by drip.

Your doctor picks the dose for you. The dose often starts low and goes up step by step.
Doses are often every few days or once a week.

## Being safe

Experts advise that each dose is taken with a trained person watching over you. Take it only
as your doctor tells you. Never change the dose on your own. Keep it locked away from others.

"""
        + _COMMON_AFTER
        + """

## After a dose

Do not drive for the rest of the day. Ask your care team when it is safe to drive again.""",
        sources=(SEED, ORAL, SUBLINGUAL, APA),
    ),
    DefaultArticle(
        topic="oral_er",
        slug="extended-release-ketamine",
        title="Slow-release ketamine tablets",
        body="""## What it is

Slow-release tablets let the medicine out bit by bit over many hours. In a study, people took
them twice a week for three months. The tablets helped keep depression from coming back.
Fewer people had their depression return than with a dummy tablet.

In that study, the tablets did not raise blood pressure. Few people felt detached or sleepy.
Most doses were taken at home.

## Is it for me?

These tablets are still being studied. They may not be approved where you live. Ask your doctor
if they are a choice for you.

## Being safe

Take the tablets only as your doctor tells you. Do not crush or chew them. Keep them locked
away from others. Tell your care team if you feel unwell or your mood drops.""",
        sources=(SEED, ER),
    ),
    DefaultArticle(
        topic="kap",
        slug="ketamine-assisted-psychotherapy",
        title="Ketamine with talk therapy (KAP)",
        body="""## What it is

KAP joins ketamine with talk therapy. You meet with a therapist before, during or after a
ketamine session. The ketamine is given in the usual way, such as by drip, shot or nose spray.

## Why talk therapy helps

Ketamine can ease low mood fast. But the effect often wears off in days or weeks. Talk therapy
helps you make the most of the better days. You can work on your thoughts and habits. You can
learn new ways to cope. This may help the good effect last.

## What happens

Before a session, you and your therapist set your goals. During the session, the therapist may
help you feel calm and safe. After it, you talk about what you felt and what it means to you.

A trained team member watches over you during each dose. Side effects such as a dreamy feeling,
dizziness or a rise in blood pressure tend to fade within hours.

## Going home

Someone should take you home. Do not drive until the next day.""",
        sources=(SEED, APA, ASA, MAINTENANCE),
    ),
)


def default_articles(language: str | None = None) -> tuple[DefaultArticle, ...]:
    """The shipped articles: English and Spanish (content_es.py), or one language's."""
    from ketacare.education.content_es import DEFAULT_ARTICLES_ES

    found = DEFAULT_ARTICLES + DEFAULT_ARTICLES_ES
    return found if language is None else tuple(a for a in found if a.language == language)
