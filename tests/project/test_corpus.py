"""Realistic tables through train -> evaluate -> predict: the column decisions, small models,
one prediction per row whichever client asks. The tables are built by `support.corpus`."""

from __future__ import annotations

import json

import pytest

from support.commands import run
from support.corpus import SCRIPT

MODEL_BYTES = 10_000_000  # every corpus model stays under this size (8 classes: 5.6 MB)


@pytest.fixture(scope="module")
def outcomes(make_project, tmp_path_factory) -> dict:
    project = make_project()
    where = tmp_path_factory.mktemp("corpus")
    python = project.root / ".venv" / "bin" / "python"
    result = run(
        [python, "-c", SCRIPT, str(where), project.package], cwd=project.root, env=project.env
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_identifiers_and_names_are_not_features(outcomes):
    passengers = outcomes["passengers"]
    assert passengers["decisions"] == [
        "column 'PassengerId': a different value in every row (an identifier), not a feature",
        "column 'Name': a different value in every row (an identifier), not a feature",
    ]
    assert passengers["metrics"]["f1_macro"] > 0.6


def test_free_text_is_bounded(outcomes):
    (decision,) = outcomes["loans"]["decisions"]
    assert decision.startswith("column 'job_title': ")
    assert decision.endswith("encoded as its 30 most frequent and 'other' (data.max_categories)")


def test_dates_as_text_and_as_dates_become_calendar_numbers(outcomes):
    weather = outcomes["weather"]
    assert weather["task"] == "regression"
    assert weather["decisions"] == [
        f"column '{name}': dates, used as year, month, day, day of week"
        for name in ("date", "observed")
    ]
    assert weather["metrics"]["r2"] > 0.8  # the season is in the dates


def test_non_ascii_headers_booleans_with_gaps_and_rare_classes_train(outcomes):
    assert outcomes["survey"]["decisions"] == []
    assert outcomes["survey"]["metrics"]["accuracy"] > 0.7
    assert outcomes["rare_classes"]["metrics"]["accuracy"] > 0.85


def test_a_number_forced_to_classification_is_refused_in_one_line(outcomes):
    error = outcomes["forced_classes"]["error"]
    assert error.startswith("target 'price' has 1,000 distinct values in 1,000 rows")
    assert "\n" not in error


def test_a_single_class_target_is_refused_in_one_line(outcomes):
    error = outcomes["single_class"]["error"]
    assert error == (
        "target 'status': the data has only the class 'active' in 1000 rows; a classifier"
        " needs at least two classes (choose another target or add rows)"
    )


@pytest.mark.parametrize("table", ["passengers", "loans", "weather", "survey", "rare_classes"])
def test_small_models_and_the_same_predictions_from_every_client(outcomes, table):
    assert outcomes[table]["model_bytes"] < MODEL_BYTES
    assert outcomes[table]["same_predictions"]
