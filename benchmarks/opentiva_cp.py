"""Run inside the opentiva 1.1.2 side environment (Python ≤ 3.10): print Cp (ng/mL) of
each ketamine model, once a minute, for the scenario given as JSON on standard input.

Input: {"weight": kg, "age": years, "hours": h, "infusions": [[start_s, mg_per_s, dur_s]],
        "models": ["Domino", ...], "subjects": optional repeat count for timing}.
Output: {"cp": {model: [ng/mL per minute]}, "seconds": wall time per model}.
"""

import json
import sys
import time

import opentiva.ketamine as ketamine
import opentiva.pump as pump

scenario = json.load(sys.stdin)
out: dict[str, dict[str, object]] = {"cp": {}, "seconds": {}}
for name in scenario["models"]:
    started = time.perf_counter()
    for _ in range(scenario.get("subjects", 1)):
        model = getattr(ketamine, name)(
            sex=0, age=scenario["age"], weight=scenario["weight"], height=175
        )
        p = pump.Pump(
            model=model,
            drug_concentration=10,
            end_time=int(scenario["hours"] * 3600),
            maintenance_infusion_duration=10,
            maintenance_infusion_multiplier=2,
            cp_limit=1.2,
            cp_limit_duration=10,
            max_infusion_rate=1200,
            bolus_time=20,
        )
        for start, dose, duration in scenario["infusions"]:
            p.add_infusion(start=start, dose=dose, duration=duration)
        result = p.run()
    out["seconds"][name] = time.perf_counter() - started
    out["cp"][name] = [row[1] * 1000 for row in result[::60]]
json.dump(out, sys.stdout)
