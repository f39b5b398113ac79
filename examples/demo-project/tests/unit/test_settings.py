from pathlib import Path

import pytest

from demo_project.errors import ProjectError
from demo_project.settings import flatten, settings_from_dict


def test_defaults():
    settings = settings_from_dict({})
    assert settings.data.path is None
    assert settings.data.target == "species"
    assert settings.split.test_size == 0.2
    assert settings.outputs.model_dir == Path("models/model")


def test_paths_are_paths():
    settings = settings_from_dict({"data": {"path": "data/raw/own.csv"}})
    assert settings.data.path == Path("data/raw/own.csv")
    assert isinstance(settings.outputs.run_info, Path)


def test_overrides_replace_only_given_values():
    settings = settings_from_dict({"data": {"path": "a.csv", "target": "y"}})
    changed = settings.override({"data.path": None, "data.target": "z", "task": "regression"})
    assert (changed.data.path, changed.data.target, changed.task) == (
        Path("a.csv"),
        "z",
        "regression",
    )
    assert settings.data.target == "y"  # the original is left as it was


def test_an_override_reaches_one_estimator_argument():
    settings = settings_from_dict({"model": {"params": {"n_estimators": 5, "max_depth": 3}}})
    changed = settings.override({"model.params.n_estimators": 50})
    assert changed.model.params == {"n_estimators": 50, "max_depth": 3}
    assert settings.model.params == {"n_estimators": 5, "max_depth": 3}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"task": "clustering"}, "task must be one of"),
        ({"data.target": ""}, "data.target must be a non-empty"),
        ({"split.test_size": 0}, "split.test_size must be a number"),
        ({"outputs.model_dir": ""}, "outputs.model_dir must be a file path"),
        ({"data.pth": "a.csv"}, "unknown key"),
        ({"dta.path": "a.csv"}, "cannot override 'dta.path'"),
        ({"task.name": "x"}, "cannot override 'task.name'"),
    ],
)
def test_overrides_are_checked_like_params_yaml(changes, message):
    with pytest.raises(ProjectError, match=message):
        settings_from_dict({}).override(changes)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"dataa": {}}, "unknown section"),
        ({"data": {"taget": "y"}}, "unknown key"),
        ({"data": []}, "must be a mapping"),
        ({"data": {"path": 3}}, "data.path must be a file path or null"),
        ({"task": "clustering"}, "task must be one of"),
        ({"split": {"test_size": 1.5}}, "test_size"),
        ({"split": {"seed": "x"}}, "seed must be an integer"),
        ({"model": {"estimator": "svm"}}, "estimator must be one of"),
        ({"model": {"params": [1]}}, "model.params"),
        ({"tune": {"method": "bayes"}}, "tune.method must be one of"),
        ({"tune": {"budget": 0}}, "tune.budget must be an integer of at least 1"),
        ({"tune": {"folds": 1}}, "tune.folds must be an integer of at least 2"),
        ({"tune": {"space": {"max_depth": 4}}}, "tune.space must map"),
        ({"tune": {"metric": 3}}, "tune.metric must be"),
    ],
)
def test_invalid_settings_say_what_is_wrong(raw, message):
    with pytest.raises(ProjectError, match=message):
        settings_from_dict(raw)


def test_flatten_uses_dotted_keys():
    flat = flatten(settings_from_dict({"model": {"params": {"n_estimators": 5}}}))
    assert flat["model.params.n_estimators"] == 5
    assert flat["split.seed"] == 42
