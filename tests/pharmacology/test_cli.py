"""`ketacare simulate`: options, CSV and JSON outputs, errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ketacare.pharmacology.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_domino_typical_subject_csv(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(
        capsys, "--model", "domino", "--dose-mg-per-kg", "0.5", "--weight-kg", "70", "--hours", "3"
    )
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["time_min", "cp_ng_ml", "ce_ng_ml"]
    assert len(rows) == 1 + 181
    at_40 = rows[41]
    assert at_40[0] == "40" and float(at_40[1]) == pytest.approx(240.33, abs=0.01)


def test_iv_defaults_to_the_venous_clements_model(capsys: pytest.CaptureFixture[str]) -> None:
    # No --model: the IV default, Clements (probably venous blood): 177.3 ng/mL at the end
    # of 0.5 mg/kg over 40 min, against the venous 185 of Zarate 2006 (Kamp 2020: 253.1).
    out = run(capsys, "--dose-mg-per-kg", "0.5", "--hours", "1", "--format", "json")
    document = json.loads(out)
    assert document["model"]["key"] == "clements"
    assert document["model"]["sampling"] == {
        "site": "venous",
        "confirmed": False,
        "label": "probably venous blood (not confirmed)",
        "source": document["model"]["sampling"]["source"],
    }
    assert document["model"]["sampling"]["source"].startswith("Not stated in the sources")
    series = document["series"]
    assert series["cp_ng_ml"][series["time_min"].index(40)] == pytest.approx(177.31, abs=0.01)


def test_kamp_repeated_doses_and_step(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(
        capsys,
        "--model",
        "kamp2020",
        "--dose-mg",
        "35",
        "--infusion-min",
        "40",
        "--repeat-every-hours",
        "2",
        "--doses",
        "2",
        "--hours",
        "4",
        "--step-min",
        "30",
    )
    times = [float(r[0]) for r in list(csv.reader(io.StringIO(out)))[1:]]
    # the 30-min grid plus every infusion start and end
    assert times == [0, 30, 40, 60, 90, 120, 150, 160, 180, 210, 240]


def test_perez_ruixo_population_csv_has_percentile_columns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = run(
        capsys,
        "--model",
        "perez_ruixo_2021",
        "--route",
        "intranasal",
        "--dose-mg",
        "84",
        "--hours",
        "2",
        "--step-min",
        "10",
        "--subjects",
        "50",
        "--seed",
        "1",
    )
    header = out.splitlines()[0].split(",")
    assert header[:4] == ["time_min", "cp_p5_ng_ml", "cp_p50_ng_ml", "cp_p95_ng_ml"]
    assert "noresketamine_p95_ng_ml" in header
    again = run(
        capsys,
        "--route",
        "intranasal",
        "--dose-mg",
        "84",
        "--hours",
        "2",
        "--step-min",
        "10",
        "--subjects",
        "50",
        "--seed",
        "1",
    )
    assert again == out  # the seed reproduces it; intranasal defaults to Perez-Ruixo


def test_json_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.json"
    run(
        capsys,
        "--route",
        "intranasal",
        "--dose-mg",
        "56",
        "--hours",
        "3",
        "--format",
        "json",
        "-o",
        str(target),
    )
    document = json.loads(target.read_text())
    assert document["model"]["key"] == "perez_ruixo_2021"
    assert document["model"]["sampling"]["label"] == "probably venous blood (not confirmed)"
    assert "not dosing advice" in document["disclaimer"]
    assert 20 <= document["summary"]["tmax_min"]["p50"] - 5 <= 40
    assert [row["hill"] for row in document["hill_sensitivity_median_ce"]] == [1, 1.5, 2, 3, 4]
    assert set(document["series"]) >= {"time_min", "cp_ng_ml", "ce_ng_ml"}


def test_help_documents_every_option_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "Default models: IV clements (probably venous blood" in text
    for option in (
        "--model",
        "--route",
        "--dose-mg-per-kg",
        "--dose-mg",
        "--infusion-min",
        "--weight-kg",
        "--hours",
        "--step-min",
        "--repeat-every-hours",
        "--doses",
        "--subjects",
        "--seed",
        "--format",
        "--output",
    ):
        assert option in text
    assert "examples:" in text and "ketacare simulate --model domino" in text


def test_a_route_the_model_lacks_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--model", "domino", "--route", "intranasal", "--dose-mg", "56"])
    assert exit_info.value.code == 2
    assert "no intranasal route" in capsys.readouterr().err


def test_the_console_script_dispatches_without_django() -> None:
    code = (
        "import sys; from ketacare.cli import main; "
        "main(['ketacare', 'simulate', '--dose-mg', '35', '--hours', '1'])"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("time_min,cp_ng_ml,ce_ng_ml")


def test_progress_bar_on_stderr_for_large_populations(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--dose-mg", "35", "--hours", "1", "--step-min", "10", "--subjects"]
    assert main([*argv, "1000", "--seed", "2"]) == 0
    captured = capsys.readouterr()
    assert "simulating" in captured.err and captured.out.startswith("time_min,cp_p5")
    assert main([*argv, "999"]) == 0
    assert capsys.readouterr().err == ""
