"""`ketacare simulate`: simulate a regimen and write CSV or JSON. No Django needed.

Dispatched from `ketacare/cli.py` before Django loads, so it starts quickly.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

import numpy as np

from ketacare.common.csvfile import SafeWriter
from ketacare.dosing.protocols import Route
from ketacare.pharmacology.effect import (
    DEFAULT_HILL,
    DEFAULT_WINDOW_FRACTION,
    NOT_CONCENTRATION_DRIVEN,
    EffectModel,
    hill_sensitivity,
)
from ketacare.pharmacology.engine import Progress, Result, simulate
from ketacare.pharmacology.models import DEFAULT_MODELS, MODELS
from ketacare.pharmacology.regimens import Regimen, repeated

DISCLAIMER = "Model prediction, not a measurement and not dosing advice."
PROGRESS_FROM_SUBJECTS = 1000

EXAMPLE = """\
examples:
  ketacare simulate --model domino --dose-mg-per-kg 0.5 --infusion-min 40 --weight-kg 70 \\
      --hours 6 > domino.csv
  ketacare simulate --model perez_ruixo_2021 --route intranasal --dose-mg 84 --hours 24 \\
      --subjects 1000 --seed 1 --format json -o esketamine.json
  ketacare simulate --dose-mg-per-kg 0.5 --repeat-every-hours 48 --doses 3

Default models: IV clements (probably venous blood, as a clinic draws it: 177 ng/mL at the
end of 0.5 mg/kg over 40 min against 185 measured in venous blood, Zarate 2006; kamp2020,
fitted to arterial blood, predicts 253); intranasal perez_ruixo_2021; IM, oral, sublingual
and oral_er kamp2020. The JSON output names the model's blood sampling site and its source.

Model prediction, not a measurement and not dosing advice.
"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ketacare simulate",
        description=(
            "Simulate ketamine/esketamine concentrations (Cp, effect-site Ce, metabolite) "
            "for a regimen with a published PK model. One typical subject by default; "
            "with --subjects N, a population with inter-individual variability, written as "
            "5th/50th/95th percentiles."
        ),
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--model", choices=sorted(MODELS), help="PK model (default by route, listed below)"
    )
    p.add_argument(
        "--route", choices=[r.value for r in Route], default="iv", help="route (default iv)"
    )
    dose = p.add_mutually_exclusive_group(required=True)
    dose.add_argument("--dose-mg-per-kg", type=float, help="dose per kg of body weight")
    dose.add_argument("--dose-mg", type=float, help="dose in mg (intranasal: 28 mg a device)")
    p.add_argument("--infusion-min", type=float, default=40.0, help="IV infusion length")
    p.add_argument("--weight-kg", type=float, default=70.0, help="body weight (default 70)")
    p.add_argument("--age-years", type=float, default=40.0, help="age (default 40)")
    p.add_argument("--hours", type=float, default=6.0, help="simulated time (default 6)")
    p.add_argument("--step-min", type=float, default=1.0, help="output grid step (default 1)")
    p.add_argument("--repeat-every-hours", type=float, default=24.0, help="dose interval")
    p.add_argument("--doses", type=int, default=1, help="number of doses (default 1)")
    p.add_argument("--subjects", type=int, default=1, help="1 = the typical subject")
    p.add_argument("--seed", type=int, help="random seed for a reproducible population")
    p.add_argument("--hill", type=float, default=DEFAULT_HILL, help="Hill coefficient (assumed)")
    p.add_argument(
        "--window-fraction",
        type=float,
        default=DEFAULT_WINDOW_FRACTION,
        help="effect fraction that starts the 'dissociation likely' window",
    )
    p.add_argument("--threshold-ng-ml", type=float, default=100.0, help="Cp threshold")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    return p


def regimen_from(args: argparse.Namespace) -> Regimen:
    route = Route(args.route)
    amount = args.dose_mg if args.dose_mg is not None else args.dose_mg_per_kg * args.weight_kg
    duration = args.infusion_min if route is Route.IV else 0.0
    return repeated(
        route, amount, every_hours=args.repeat_every_hours, doses=args.doses, duration_min=duration
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    route = Route(args.route)
    model = MODELS[args.model] if args.model else DEFAULT_MODELS[route]
    if route not in model.routes:
        p.error(f"model {model.key} has no {route} route (it has {', '.join(model.routes)})")
    if args.subjects < 1 or args.hours <= 0 or args.step_min <= 0 or args.doses < 1:
        p.error("--subjects, --hours, --step-min and --doses must be positive")
    try:
        regimen = regimen_from(args)
    except ValueError as error:
        p.error(str(error))
    result = simulate(
        model,
        regimen,
        hours=args.hours,
        step_min=args.step_min,
        weight_kg=args.weight_kg,
        age_years=args.age_years,
        subjects=args.subjects,
        seed=args.seed,
        effect=EffectModel(hill=args.hill, window_fraction=args.window_fraction),
        threshold_ng_ml=args.threshold_ng_ml,
        progress=_progress_bar(args.subjects),
    )
    write = write_csv if args.format == "csv" else write_json
    if args.output:
        with open(args.output, "w", newline="") as out:
            write(result, out)
        return 0
    try:
        write(result, sys.stdout)
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
    return 0


def _progress_bar(subjects: int) -> Progress | None:
    if subjects < PROGRESS_FROM_SUBJECTS:
        return None
    from tqdm import tqdm

    bar = tqdm(total=None, unit="time points", file=sys.stderr, desc="simulating")

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)
        if done == total:
            bar.close()

    return update


OUTPUT_COLUMNS = {"cp": "cp_ng_ml", "ce": "ce_ng_ml", "metabolite": "noresketamine_ng_ml"}


def columns(result: Result) -> dict[str, np.ndarray]:
    """Column name -> values: the curves for one subject, percentiles for a population."""
    data: dict[str, np.ndarray] = {"time_min": result.time_min}
    one = len(result.summary.cmax_ng_ml) == 1
    for output in result.outputs:
        name = OUTPUT_COLUMNS[output]
        if one:
            data[name] = result.median(output)
            continue
        stem = name.removesuffix("_ng_ml")
        for level, row in zip(result.percentile_levels, result.percentiles[output], strict=True):
            data[f"{stem}_p{level:g}_ng_ml"] = row
    return data


def write_csv(result: Result, out: TextIO) -> None:
    data = columns(result)
    writer = SafeWriter(out, lineterminator="\n")
    writer.writerow(data)
    for row in zip(*data.values(), strict=True):
        writer.writerow([f"{value:.6g}" for value in row])


def summary(result: Result) -> dict[str, object]:
    s = result.summary
    fields = {
        "cmax_ng_ml": s.cmax_ng_ml,
        "tmax_min": s.tmax_min,
        "auc_ng_h_ml": s.auc_ng_h_ml,
        "time_above_threshold_min": s.time_above_min,
        "time_in_dissociation_window_min": s.time_in_window_min,
    }
    return {
        name: dict(
            zip(("p5", "p50", "p95"), np.percentile(values, [5, 50, 95]).tolist(), strict=False)
        )
        for name, values in fields.items()
    }


def write_json(result: Result, out: TextIO) -> None:
    model = result.model
    typical_ce = result.median("ce")
    document = {
        "disclaimer": DISCLAIMER,
        "not_concentration_driven": NOT_CONCENTRATION_DRIVEN,
        "model": {
            "key": model.key,
            "title": model.title,
            "citation": model.citation,
            "published": model.published,
            "assumed": model.assumed,
            "sampling": {
                "site": model.sampling.site,
                "confirmed": model.sampling.confirmed,
                "label": model.sampling.label,
                "source": model.sampling.source,
            },
        },
        "regimen": [
            {
                "time_min": d.time_min,
                "route": str(d.route),
                "amount_mg": d.amount_mg,
                "duration_min": d.duration_min,
            }
            for d in result.regimen
        ],
        "subjects": len(result.summary.cmax_ng_ml),
        "threshold_ng_ml": result.threshold_ng_ml,
        "dissociation_window_ce_ng_ml": result.window_ce_ng_ml,
        "summary": summary(result),
        "hill_sensitivity_median_ce": [
            row.__dict__
            for row in hill_sensitivity(
                result.time_min, typical_ce, s_fraction=model.s_fraction, effect=result.effect
            )
        ],
        "series": {name: values.tolist() for name, values in columns(result).items()},
    }
    json.dump(document, out, indent=1)
    out.write("\n")


if __name__ == "__main__":
    sys.exit(main())
