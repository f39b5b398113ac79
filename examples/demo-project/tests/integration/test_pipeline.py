"""dvc.yaml agrees with params.yaml and the CLI, so `dvc repro` cannot drift from the code."""

import re
from pathlib import Path

import yaml

from demo_project.cli import main
from demo_project.io.params import read_params
from demo_project.settings import flatten

ROOT = Path(__file__).resolve().parents[2]  # tests/integration/ -> the project
PIPELINE = yaml.safe_load((ROOT / "dvc.yaml").read_text())
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())


def _lookup(dotted: str):
    value = PARAMS
    for key in dotted.split("."):
        value = value[key]
    return value


def test_every_stage_runs_a_command_of_this_project():
    for name, stage in PIPELINE["stages"].items():
        program, command, *_ = stage["cmd"].split()
        assert program == "demo-project", name
        assert command in main.commands, name


def test_stage_params_and_paths_exist_in_params_yaml():
    read_params(ROOT / "params.yaml")  # valid settings
    for name, stage in PIPELINE["stages"].items():
        for param in stage.get("params", []):
            _lookup(param)
        text = yaml.safe_dump(stage)
        for reference in re.findall(r"\$\{([^}]+)\}", text):
            assert isinstance(_lookup(reference), str), (name, reference)


def test_every_output_setting_is_produced_by_the_pipeline():
    settings = flatten(read_params(ROOT / "params.yaml"))
    outputs = {key for key in settings if key.startswith("outputs.")}
    referenced = set(re.findall(r"\$\{([^}]+)\}", (ROOT / "dvc.yaml").read_text()))
    assert outputs <= referenced
