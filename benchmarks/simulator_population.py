"""The simulator page's population at 1,000 and 10,000 subjects.

Measured, for each population size: the pure simulation of the page's regimens
(`ketacare.pharmacology.simulate`, as the page calls it: its time grid of at most
`MAX_POINTS` points, seed 1), and the whole page through Django's test client (form,
simulations, summary rows, the Plotly figure and the template). Baseline: the same at
1,000 subjects, the cap before issue 14. The size of the figure's JSON is printed too:
the page sends each regimen's median and 5th–95th percentile band, never one curve per
subject, so it does not grow with the population.

    .venv/bin/python -m benchmarks.simulator_population [--regimens 1] [--hours 6]
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Mapping
from typing import Any

from benchmarks._harness import Timing, report, setup_django, timed

SIZES = (1_000, 10_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--regimens", type=int, default=1, help="1 to 4, the page's defaults")
    parser.add_argument("--hours", type=float, default=6.0, help="hours shown (page default 6)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup_django()

    from django.test import Client
    from django.urls import reverse

    from ketacare.accounts.models import Membership, User
    from ketacare.accounts.policy import Role
    from ketacare.accounts.services import clinic_create
    from ketacare.web.views import simulator

    clinic = clinic_create(name="Bench", slug=f"bench-{time.time_ns()}")
    user = User.objects.create(username=f"bench-{time.time_ns()}")
    Membership.objects.create(user=user, clinic=clinic, role=Role.NURSE)
    client = Client()
    client.force_login(user)
    url = reverse("simulator", kwargs={"clinic_slug": clinic.slug})

    regimens: list[Mapping[str, Any]] = []
    for i in range(args.regimens):
        default = simulator.DEFAULTS[i % len(simulator.DEFAULTS)]
        form = simulator.RegimenForm(
            {f"r{i}-{key}": str(value) for key, value in default.items()}, prefix=f"r{i}"
        )
        assert form.is_valid(), form.errors
        regimens.append(form.cleaned_data)

    def params(subjects: int) -> dict[str, str]:
        fields = {
            "weight_kg": "70",
            "age_years": "40",
            "hours": f"{args.hours:g}",
            "subjects": str(subjects),
            "hill": "2",
            "regimens": str(args.regimens),
        }
        for i in range(args.regimens):
            default = simulator.DEFAULTS[i % len(simulator.DEFAULTS)]
            fields |= {f"r{i}-{key}": str(value) for key, value in default.items()}
            fields[f"r{i}-model"] = ""
        return fields

    def settings(subjects: int) -> dict[str, object]:
        form = simulator.SettingsForm(params(subjects))
        assert form.is_valid(), form.errors
        return form.cleaned_data

    def page(subjects: int) -> int:
        got = client.get(url, params(subjects))
        assert got.status_code == 200, got.status_code
        html = got.content.decode()
        match = re.search(r'<script id="sim-figure" type="application/json">(.*?)</script>', html)
        assert match, "no figure on the page"
        return len(match.group(1))

    simulations: list[Timing] = []
    pages: list[Timing] = []
    sizes: dict[int, int] = {}
    for subjects in SIZES:
        chosen = settings(subjects)
        simulations.append(
            timed(
                f"simulation, {subjects:,} subjects",
                lambda chosen=chosen: simulator._run(chosen, regimens),  # type: ignore[misc]
                args.repeat,
            )
        )
        sizes[subjects] = page(subjects)
        pages.append(
            timed(f"page, {subjects:,} subjects", lambda s=subjects: page(s), args.repeat)  # type: ignore[misc]
        )
    what = f"{args.regimens} regimen(s), {args.hours:g} h shown"
    report(f"Simulator: the simulation and summary rows ({what})", simulations[0], simulations[1:])
    report(f"Simulator page through Django ({what})", pages[0], pages[1:])
    for subjects, size in sizes.items():
        print(f"  figure JSON at {subjects:,} subjects: {size:,} characters")


if __name__ == "__main__":
    main()
