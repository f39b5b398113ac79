import pytest

from demo_project.errors import ProjectError
from demo_project.settings import flatten, settings_from_dict


def test_defaults():
    settings = settings_from_dict({})
    assert settings.data.path is None
    assert settings.data.target == "species"
    assert settings.split.test_size == 0.2


def test_cli_overrides_replace_only_given_values():
    settings = settings_from_dict({"data": {"path": "a.csv", "target": "y"}}).with_data(None, "z")
    assert (settings.data.path, settings.data.target) == ("a.csv", "z")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"dataa": {}}, "unknown section"),
        ({"data": {"taget": "y"}}, "unknown key"),
        ({"data": []}, "must be a mapping"),
        ({"task": "clustering"}, "task must be one of"),
        ({"split": {"test_size": 1.5}}, "test_size"),
        ({"split": {"seed": "x"}}, "seed must be an integer"),
        ({"model": {"estimator": "svm"}}, "estimator must be one of"),
        ({"model": {"params": [1]}}, "model.params"),
    ],
)
def test_invalid_settings_say_what_is_wrong(raw, message):
    with pytest.raises(ProjectError, match=message):
        settings_from_dict(raw)


def test_flatten_uses_dotted_keys():
    flat = flatten(settings_from_dict({"model": {"params": {"n_estimators": 5}}}))
    assert flat["model.params.n_estimators"] == 5
    assert flat["split.seed"] == 42
