"""Model metadata: every model says which blood it stands for, and where that comes from;
the defaults per route."""

from __future__ import annotations

import re

import pytest

from ketacare.dosing.protocols import Route
from ketacare.pharmacology import DEFAULT_MODELS, MODELS, Model


@pytest.mark.parametrize("model", MODELS.values(), ids=list(MODELS))
def test_every_model_labels_its_blood_sampling_site_with_a_source(model: Model) -> None:
    sampling = model.sampling
    assert sampling.site in ("arterial", "venous", None)
    assert sampling.label and sampling.short
    if sampling.confirmed:
        # a confirmed site cites the publication that states it
        assert sampling.site is not None
        assert re.search(r"[A-Z][a-z]+ et al\. (19|20)\d\d", sampling.source)
        assert sampling.label == f"{sampling.site} blood"
    else:
        # an unconfirmed site says so, on screen and in its source, with the reasoning
        assert "not confirmed" in sampling.label
        assert sampling.source.startswith("Not stated in the sources consulted")
        if sampling.site is not None:
            assert "Inferred:" in sampling.source
            assert sampling.label == f"probably {sampling.site} blood (not confirmed)"
    # no reference-file sections on screen
    assert "§" not in sampling.source and "reference" not in sampling.source.lower()


def test_the_labels_as_a_clinician_reads_them() -> None:
    assert {key: m.sampling.label for key, m in MODELS.items()} == {
        "domino": "probably arterial blood (not confirmed)",
        "clements": "probably venous blood (not confirmed)",
        "hijazi": "blood sampling site not confirmed",
        "kamp2020": "arterial blood",
        "perez_ruixo_2021": "probably venous blood (not confirmed)",
    }


def test_every_route_has_a_default_model_that_describes_it() -> None:
    assert set(DEFAULT_MODELS) == set(Route)
    for route, model in DEFAULT_MODELS.items():
        assert route in model.routes
    assert DEFAULT_MODELS[Route.IV].key == "clements"
    assert DEFAULT_MODELS[Route.INTRANASAL].key == "perez_ruixo_2021"
    # the non-IV racemic routes keep the model their absorption rates were tuned on
    for route in (Route.IM, Route.ORAL, Route.SUBLINGUAL, Route.ORAL_ER):
        assert DEFAULT_MODELS[route].key == "kamp2020"
