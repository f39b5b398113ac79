"""Invalid answers: copier exits non-zero with the validator's message and writes nothing."""

from __future__ import annotations

import pytest

from berth_tools import ROOT
from support.commands import run
from support.rendering import copy_command

INVALID = [
    # (answers, part of the validator's message)
    ({"project_name": ""}, "project_name must not be empty"),
    ({"project_name": "   "}, "project_name must not be empty"),
    ({"project_name": "x" * 65}, "at most 64 characters"),
    ({"project_name": " padded"}, "must not start or end with spaces"),
    ({"project_name": "café"}, "ASCII letters"),
    ({"project_name": "-leading-dash"}, "must start with a letter or digit"),
    ({"project_name": "semi;colon"}, "ASCII letters"),
    ({"project_slug": "Has-Capitals"}, "project_slug must be kebab-case"),
    ({"project_slug": "under_score"}, "project_slug must be kebab-case"),
    ({"project_slug": "double--dash"}, "project_slug must be kebab-case"),
    ({"project_slug": "trailing-"}, "project_slug must be kebab-case"),
    ({"project_slug": "1starts-with-digit"}, "project_slug must be kebab-case"),
    ({"project_slug": "x"}, "2 to 40 characters"),
    ({"project_slug": "a" * 41}, "2 to 40 characters"),
    ({"project_slug": "test"}, "clashes with a Python keyword"),
    ({"project_slug": "logging"}, "clashes with a Python keyword"),
    ({"project_slug": "mlflow"}, "clashes with a Python keyword"),
    ({"project_slug": "naïve"}, "project_slug must be kebab-case"),
    ({"package_name": "Has_Capitals"}, "package_name must be a snake_case"),
    ({"package_name": "with-dash"}, "package_name must be a snake_case"),
    ({"package_name": "9lives"}, "package_name must be a snake_case"),
    ({"package_name": "_private"}, "package_name must be a snake_case"),
    ({"package_name": "class"}, "clashes with a Python keyword"),
    ({"package_name": "match"}, "clashes with a Python keyword"),
    ({"package_name": "test"}, "clashes with a Python keyword"),
    ({"package_name": "json"}, "clashes with a Python keyword"),
    ({"package_name": "sklearn"}, "clashes with a Python keyword"),
    ({"package_name": "pandas"}, "clashes with a Python keyword"),
    ({"package_name": "p"}, "2 to 40 characters"),
    ({"package_name": "ünïcode"}, "package_name must be a snake_case"),
    ({"description": ""}, "description must not be empty"),
    ({"description": "d" * 201}, "at most 200 characters"),
    ({"description": 'say "hi"'}, "must not contain double quotes"),
    ({"author_name": ""}, "author_name must not be empty"),
    ({"author_name": 'Ada "The Countess"'}, "author_name must be a single line"),
    ({"author_email": "not-an-email"}, "author_email must look like"),
    ({"author_email": "ada@localhost"}, "author_email must look like"),
    ({"author_email": "ada lovelace@example.org"}, "author_email must look like"),
    ({"author_email": "ada@exa_mple.org"}, "author_email must look like"),
    ({"copyright_year": "26"}, "copyright_year must be a year"),
    ({"copyright_year": "next year"}, "copyright_year must be a year"),
    ({"python_version": "2.7"}, "python_version"),
    ({"license": "GPL-3.0"}, "license"),
    ({"dvc_local_remote": "storage"}, "dvc_local_remote must be outside the project"),
    ({"dvc_local_remote": "../project/storage"}, "not the project or its parent"),
    ({"dvc_local_remote": ".."}, "dvc_local_remote must be outside the project"),
    ({"dvc_local_remote": "../"}, "not the project or its parent"),
    ({"dvc_local_remote": "../my storage"}, "no spaces"),
    (
        {"dvc_s3_remote_url": "https://bucket.example.org"},
        "dvc_s3_remote_url must be empty or look like s3://",
    ),
    (
        {"dvc_s3_remote_url": "s3://Bad_Bucket/x"},
        "dvc_s3_remote_url must be empty or look like s3://",
    ),
    (
        {"dvc_s3_remote_url": "s3://bucket", "dvc_s3_endpoint_url": "ftp://minio"},
        "dvc_s3_endpoint_url must be empty or an http(s) URL",
    ),
]


def test_there_are_at_least_thirty_cases():
    assert len(INVALID) >= 30


@pytest.mark.parametrize(("answers", "message"), INVALID, ids=[repr(a)[:60] for a, _ in INVALID])
def test_invalid_answer_is_rejected_and_nothing_is_written(tmp_path, answers, message):
    destination = tmp_path / "project"
    command = copy_command("--skip-tasks", answers=answers)
    result = run([*command, ROOT, destination], check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert message in output, output[-2000:]
    assert not destination.exists() or not any(destination.iterdir())
