"""Fast tier: the AWS Batch job definitions (`registry=ecr`) are valid requests, offline.

Each rendered definition, filled in by the project's own `deploy/aws-batch/fill.py` from
the environment, passes botocore's request-shape validation against the Batch service
model's RegisterJobDefinition input (an unknown field or a wrong type fails), and is
registered and submitted against moto (no AWS account, no Docker: moto's Batch marks the
jobs done without running them). The definitions hold the rules the project's README
promises: the released ECR image, non-root, credentials only as secrets, sizes, retries,
time limits.
"""

from __future__ import annotations

import json
import os
import string
import sys
import time
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters
from moto import mock_aws

from support.commands import run
from support.rendering import render

SLUG = "demo-project"
REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account
DEFINITIONS = ("train", "predict")
VALUES = {
    "AWS_ACCOUNT_ID": ACCOUNT,
    "AWS_REGION": REGION,
    "IMAGE_TAG": "1.2.0",
    "MLFLOW_TRACKING_URI": "https://mlflow.example.org",
    "EFS_FILE_SYSTEM_ID": "fs-0123456789abcdef0",
    "EFS_ACCESS_POINT_ID": "fsap-0123456789abcdef0",
}
CREDENTIALS = {"MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return render(tmp_path_factory.mktemp("batch") / SLUG, {"registry": "ecr"})


def fill(project: Path, name: str, values: dict[str, str] = VALUES):
    """Run the project's fill.py on one definition, with only `values` set for it."""
    environment = {key: value for key, value in os.environ.items() if key not in VALUES}
    return run(
        [sys.executable, "deploy/aws-batch/fill.py", f"deploy/aws-batch/{name}.json"],
        cwd=project,
        env=environment | values,
        check=False,
        timeout=60,
    )


@pytest.fixture(scope="module")
def definitions(project) -> dict[str, dict]:
    filled = {}
    for name in DEFINITIONS:
        result = fill(project, name)
        assert result.returncode == 0, result.stderr
        filled[name] = json.loads(result.stdout)
    return filled


def register_input_shape():
    model = botocore.session.get_session().get_service_model("batch")
    return model.operation_model("RegisterJobDefinition").input_shape


def test_the_definitions_are_valid_register_requests(definitions):
    shape = register_input_shape()
    for definition in definitions.values():
        validate_parameters(definition, shape)


def test_a_field_batch_does_not_know_fails_validation(definitions):
    definition = json.loads(json.dumps(definitions["train"]))
    definition["containerProperties"]["entrypoint"] = ["sh"]  # ECS has it; Batch does not
    with pytest.raises(ParamValidationError, match="entrypoint"):
        validate_parameters(definition, register_input_shape())


def test_each_value_the_definitions_need_comes_from_the_environment(project):
    needed = set()
    for name in DEFINITIONS:
        text = (project / "deploy" / "aws-batch" / f"{name}.json").read_text()
        needed |= set(string.Template(text).get_identifiers())
    assert needed == set(VALUES)
    documentation = (project / "deploy" / "aws-batch" / "fill.py").read_text()
    readme = (project / "README.md").read_text()
    for name in needed:
        assert f"    {name} " in documentation, name
        assert name in readme, name


def test_a_missing_value_is_one_line_and_nothing_on_standard_output(project):
    values = {k: v for k, v in VALUES.items() if k not in {"IMAGE_TAG", "EFS_FILE_SYSTEM_ID"}}
    result = fill(project, "train", values | {"EFS_FILE_SYSTEM_ID": ""})
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "set EFS_FILE_SYSTEM_ID, IMAGE_TAG" in result.stderr


def test_values_are_inserted_as_json_strings(project):
    uri = 'https://mlflow.example.org/a"b\\c'
    result = fill(project, "predict", VALUES | {"MLFLOW_TRACKING_URI": uri})
    assert result.returncode == 0, result.stderr
    environment = json.loads(result.stdout)["containerProperties"]["environment"]
    assert {"name": "MLFLOW_TRACKING_URI", "value": uri} in environment


def test_jobs_run_the_released_image_as_promised(definitions):
    image = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{SLUG}:1.2.0"
    commands = {}
    for name, definition in definitions.items():
        container = definition["containerProperties"]
        assert definition["jobDefinitionName"] == f"{SLUG}-{name}"
        assert definition["platformCapabilities"] == ["FARGATE"]
        assert container["image"] == image
        assert container["user"] == "1000:1000"
        sizes = {r["type"]: int(r["value"]) for r in container["resourceRequirements"]}
        assert sizes["VCPU"] >= 1 and sizes["MEMORY"] >= 4096
        # Credentials only by reference (SSM), never a value in the definition.
        assert {s["name"] for s in container["secrets"]} == CREDENTIALS
        for secret in container["secrets"]:
            assert secret["valueFrom"].startswith(f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/")
        assert not CREDENTIALS & {e["name"] for e in container["environment"]}
        assert container["executionRoleArn"].startswith(f"arn:aws:iam::{ACCOUNT}:role/")
        [mount] = container["mountPoints"]
        assert mount["containerPath"] == "/work"  # the image's working folder
        assert definition["retryStrategy"]["attempts"] == 2
        assert definition["timeout"]["attemptDurationSeconds"] >= 3600
        commands[name] = container["command"]
    assert commands["train"] == ["train"]
    predict = definitions["predict"]
    assert commands["predict"][0] == "predict"
    references = {arg.removeprefix("Ref::") for arg in commands["predict"] if "Ref::" in arg}
    assert references == set(predict["parameters"]) == {"model", "input", "output"}
    assert predict["parameters"]["model"] == f"models:/{SLUG}@champion"


def test_registered_and_submitted_against_moto(definitions):
    with mock_aws(config={"batch": {"use_docker": False}}):
        ec2 = boto3.client("ec2", region_name=REGION)
        iam = boto3.client("iam", region_name=REGION)
        batch = boto3.client("batch", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(GroupName="batch", Description="jobs", VpcId=vpc)
        service = iam.create_role(RoleName="batch-service", AssumeRolePolicyDocument="{}")
        environment = batch.create_compute_environment(
            computeEnvironmentName="berth-fargate",
            type="MANAGED",
            state="ENABLED",
            computeResources={
                "type": "FARGATE",
                "maxvCpus": 4,
                "subnets": [subnet],
                "securityGroupIds": [group["GroupId"]],
            },
            serviceRole=service["Role"]["Arn"],
        )
        batch.create_job_queue(
            jobQueueName="berth-queue",
            state="ENABLED",
            priority=1,
            computeEnvironmentOrder=[
                {"order": 1, "computeEnvironment": environment["computeEnvironmentArn"]}
            ],
        )
        for definition in definitions.values():
            registered = batch.register_job_definition(**definition)
            assert registered["jobDefinitionName"] == definition["jobDefinitionName"]
        train = batch.submit_job(
            jobName="train", jobQueue="berth-queue", jobDefinition=f"{SLUG}-train"
        )
        evaluate = batch.submit_job(
            jobName="evaluate",
            jobQueue="berth-queue",
            jobDefinition=f"{SLUG}-train",
            dependsOn=[{"jobId": train["jobId"]}],
            containerOverrides={"command": ["evaluate"]},
        )
        predict = batch.submit_job(
            jobName="predict",
            jobQueue="berth-queue",
            jobDefinition=f"{SLUG}-predict",
            parameters={"input": "/work/data/new.csv", "output": "/work/data/out.csv"},
        )
        jobs = [train["jobId"], evaluate["jobId"], predict["jobId"]]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            described = batch.describe_jobs(jobs=jobs)["jobs"]
            if all(job["status"] in ("SUCCEEDED", "FAILED") for job in described):
                break
            time.sleep(0.5)
        by_name = {job["jobName"]: job for job in described}
        assert {name: job["status"] for name, job in by_name.items()} == {
            "train": "SUCCEEDED",
            "evaluate": "SUCCEEDED",
            "predict": "SUCCEEDED",
        }
        assert by_name["evaluate"]["container"]["command"] == ["evaluate"]


def test_no_batch_definitions_without_ecr(tmp_path):
    for registry in ("ghcr", "none"):
        project = render(tmp_path / registry / SLUG, {"registry": registry})
        assert not (project / "deploy").exists()
