"""The command line as an edge: options reach the jobs, errors are one line, outputs appear."""

import gc
import json
import os
import pty
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from demo_project import __main__ as program
from demo_project.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_help_lists_the_commands():
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("prepare", "train", "evaluate", "predict"):
        assert command in result.output


def test_version_names_the_project():
    result = invoke("--version")
    assert result.exit_code == 0
    name, version = result.output.split()
    assert (name, version.count(".")) == ("demo-project", 2)


@pytest.fixture
def trained(project):
    result = invoke("train")
    assert result.exit_code == 0, result.output
    return project


def test_train_evaluate_predict(trained):
    run_info = json.loads((trained / "models/run.json").read_text())
    assert run_info["task"] == "classification"

    result = invoke("evaluate", "--no-promote")
    assert result.exit_code == 0, result.output
    assert json.loads((trained / "reports/metrics.json").read_text())["accuracy"] > 0.9

    source = trained / "data/processed/test.parquet"
    result = invoke("predict", "--input", str(source), "--output", "predictions.csv")
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(trained / "predictions.csv")) == len(pd.read_parquet(source))


def test_data_options_override_params(project, regression_frame):
    regression_frame.to_csv(project / "own.csv", index=False)
    result = invoke("prepare", "--data", "own.csv", "--target", "spend", "--task", "regression")
    assert result.exit_code == 0, result.output
    assert "spend" in pd.read_parquet(project / "data/processed/train.parquet").columns


def test_predict_rejects_input_that_does_not_match_the_signature(trained):
    test_rows = pd.read_parquet(trained / "data/processed/test.parquet")
    for bad, message in [
        (test_rows.drop(columns=["island"]), "missing column 'island'"),
        (test_rows.assign(bill_length_mm="long"), "column 'bill_length_mm' should be double"),
    ]:
        bad.to_csv(trained / "bad.csv", index=False)
        result = CliRunner().invoke(main, ["predict", "--input", "bad.csv", "--output", "out.csv"])
        assert result.exit_code == 1
        assert message in result.output
        assert len(result.output.strip().splitlines()) == 1
        assert not (trained / "out.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--data", "absent.csv"], "absent.csv: file not found"),
        (["train", "--target", "nope"], "target column 'nope' not found"),
        (["train", "--from-splits"], "run `prepare` first"),
        (["predict", "--input", "absent.csv", "--output", "o.csv"], "file not found"),
        (["predict", "--input", "params.yaml", "--output", "o.csv"], "unsupported file type"),
        (["predict", "--input", "a.csv", "--output", "o.txt"], "unsupported output type"),
        (["evaluate"], "run `train` first"),
        (["--params", "nope.yaml", "train"], "nope.yaml: settings file not found"),
        (["predict", "--input", "a.csv", "--output", "./a.csv"], "this is the input file"),
        (["promote"], "run `train` first"),
    ],
)
def test_bad_input_is_a_one_line_error(project, args, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.strip().startswith("Error:")
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(("scheme", "package"), [("s3", "boto3"), ("gs", "google-cloud-storage")])
def test_a_model_uri_names_the_package_its_storage_needs(project, scheme, package):
    pd.DataFrame({"a": [1]}).to_csv(project / "in.csv", index=False)
    args = ["predict", "--input", "in.csv", "--output", "o.csv", "--model", f"{scheme}://b/m"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert f"needs the {package} package" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_help_works_whatever_the_settings_file_holds(project):
    (project / "params.yaml").write_text("data: [unclosed\n")
    assert invoke("train", "--help").exit_code == 0
    result = CliRunner().invoke(main, ["train"])
    assert result.exit_code == 1
    assert "params.yaml: not valid YAML at line 2" in result.output


def test_a_project_subfolder_is_refused_without_writing_there(project, monkeypatch):
    (project / "notebooks").mkdir()
    monkeypatch.chdir(project / "notebooks")
    result = CliRunner().invoke(main, ["prepare"])
    assert result.exit_code == 1
    assert f"run the command from the project folder {project}" in result.output
    assert not (project / "notebooks" / "data").exists()


def test_train_from_splits_refuses_another_data_file(project):
    result = CliRunner().invoke(main, ["train", "--from-splits", "--data", "own.csv"])
    assert result.exit_code == 2
    assert "--data cannot be combined with --from-splits" in result.output


def test_malformed_csv_is_a_one_line_error(project):
    (project / "broken.csv").write_bytes(b'a,b\n1,"unterminated\n')
    result = CliRunner().invoke(main, ["train", "--data", "broken.csv", "--target", "a"])
    assert result.exit_code == 1
    assert "cannot read table" in result.output


def test_invalid_params_file(project):
    (project / "params.yaml").write_text("split:\n  test_size: 2\n")
    result = CliRunner().invoke(main, ["train"])
    assert result.exit_code == 1
    assert "params.yaml: split.test_size" in result.output


def test_as_a_program_a_command_runs_with_fewer_full_collections(project, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["demo-project", "--help"])
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    try:
        with pytest.raises(SystemExit) as ended:
            program.main()
        assert ended.value.code == 0
        assert gc.get_threshold()[2] == program.FULL_COLLECTION_THRESHOLD
        assert gc.get_freeze_count() > frozen  # the exit skips what the command left
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_called_from_python_the_collector_keeps_its_settings(project):
    settings = gc.get_threshold(), gc.get_freeze_count()
    assert invoke("--help").exit_code == 0
    assert (gc.get_threshold(), gc.get_freeze_count()) == settings


def test_the_log_level_governs_everything_printed(trained):
    result = CliRunner().invoke(main, ["--log-level", "ERROR", "evaluate"])
    assert result.exit_code == 0, result.output
    assert result.output == ""


def run_program(*args: str, terminal: bool) -> str:
    """The console output of `python -m demo_project ARGS`, on a terminal or in a pipe."""
    command = [sys.executable, "-m", "demo_project", *args]
    if not terminal:
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        return done.stdout + done.stderr
    chunks = []

    def read(descriptor):
        data = os.read(descriptor, 4096)
        chunks.append(data)
        return data

    status = pty.spawn(command, read)
    assert os.waitstatus_to_exitcode(status) == 0, b"".join(chunks).decode()
    return b"".join(chunks).decode()


def test_progress_on_a_terminal_and_plain_lines_in_a_pipe(project):
    screen = run_program("prepare", terminal=True)
    assert "prepare [" in screen and "100%" in screen
    # Each log record starts on a line of its own: the bar is erased before it.
    for line in screen.replace("\r\n", "\n").split("\n"):
        text = line.rsplit("\r\x1b[K", 1)[-1]
        assert "INFO" not in text or not text.startswith("prepare ["), line
        assert text.count(" INFO ") <= 1, line
    assert "Split 344 rows" in screen
    piped = run_program("prepare", terminal=False)
    assert "Split 344 rows" in piped
    assert "\r" not in piped and "[#" not in piped


def test_log_file_is_written(trained):
    assert "Trained a classification model" in (trained / "logs/project.log").read_text()
