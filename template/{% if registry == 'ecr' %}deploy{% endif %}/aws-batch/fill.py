"""Fill in a job definition of this folder from the environment, for the AWS CLI.

train.json and predict.json hold what is the same in every AWS account: the command, the
size, the retries and time limit, the non-root user, where the MLflow credentials come
from. What belongs to your account is written as ${NAME} and read from the environment:

    AWS_ACCOUNT_ID       the account of the ECR repository, the roles and the parameters
    AWS_REGION           its region, e.g. eu-west-1
    IMAGE_TAG            the release to run, e.g. 1.2.0 (a tag the release workflow pushed)
    MLFLOW_TRACKING_URI  the MLflow server the jobs log to
    EFS_FILE_SYSTEM_ID   the EFS file system mounted as the jobs' working folder, /work
    EFS_ACCESS_POINT_ID  its access point, which writes as user 1000:1000

Register a definition (again after each release, with the new IMAGE_TAG):

    definition=$(python deploy/aws-batch/fill.py deploy/aws-batch/train.json)
    aws batch register-job-definition --cli-input-json "$definition"

It prints the filled-in definition, or one line naming what is missing and exits with 1,
printing nothing on standard output. Values are inserted as JSON strings, so any character
is safe. Standard library only: it runs with any Python 3.11 or newer.
"""

from __future__ import annotations

import json
import os
import string
import sys
from collections.abc import Mapping
from pathlib import Path


def fill(text: str, environment: Mapping[str, str]) -> str:
    """`text` with every ${NAME} replaced by the environment's value, escaped for JSON."""
    template = string.Template(text)
    names = template.get_identifiers()
    missing = sorted(name for name in names if not environment.get(name))
    if missing:
        raise ValueError(f"set {', '.join(missing)} (deploy/aws-batch/fill.py says what each is)")
    return template.substitute({name: json.dumps(environment[name])[1:-1] for name in names})


def main(arguments: list[str]) -> int:
    if len(arguments) != 1:
        print("usage: python deploy/aws-batch/fill.py DEFINITION.json", file=sys.stderr)
        return 2
    path = Path(arguments[0])
    try:
        definition = json.loads(fill(path.read_text(encoding="utf-8"), os.environ))
    except OSError as error:
        print(f"{path}: {error.strerror or error}", file=sys.stderr)
        return 1
    except ValueError as error:  # a missing value, or a file that is not a job definition
        print(f"{path}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(definition, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
