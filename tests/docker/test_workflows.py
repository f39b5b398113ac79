"""The generated GitHub workflows, run for real with `act` on the local Docker engine.

For the default answers and one other combination (no DVC, no Dask, proprietary licence, ECR), generated
from a local copy of Berth tagged like releases.yml says plus a newer release above it:
every job of ci.yml passes (hooks, tests, images and the compose smoke test; the other
combination skips the test job, see SKIPPED_JOBS), release.yml
builds the prod image and pushes its tags to a local registry (for ECR after assuming the
role and logging in through moto's STS and ECR APIs), and template-update.yml
pushes its update branch to the local copy of the repository and opens its pull request
with the gh stand-in. berth_tools.run_workflows (`berth-workflows`) does the running (the runner image, the
action stand-ins, the local GitHub); each job's duration goes to the Docker tier figures.
Needs an engine (`bash .ci/docker-engine.sh`); under CI=true it may not be skipped.
"""

from __future__ import annotations

import concurrent.futures
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from berth_tools import run_workflows
from support import docker
from support.commands import python, run
from support.git import commit_all, git
from support.updates import release_working_tree

COMBINATIONS = {
    "defaults": {},
    "nodvc-nodask-proprietary-ecr": {
        "use_dvc": "false",
        "use_dask": "false",
        "license": "proprietary",
        "registry": "ecr",
    },
}
# Jobs a combination does not run, and why: what they would prove is proven elsewhere.
SKIPPED_JOBS = {
    "nodvc-nodask-proprietary-ecr": {
        "test": "ci.yml's test job has the same steps whatever the answers (the defaults' run "
        "proves them), and its generated suite, no DVC and no Dask, is the one the project "
        "tier runs natively (tests/project/test_project.py, `custom`)",
    },
}
NEW_RELEASE_LINE = "Updated by the template's newest release."


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A copy of Berth's working tree whose last two commits are releases: the one projects
    are generated from (`current`) and a newer one (`newest`) that the update brings."""
    clone, current = release_working_tree(tmp_path_factory.mktemp("template") / "berth")
    major, minor, micro = (int(p) for p in current.split("."))
    newest = f"{major}.{minor}.{micro + 1}"
    readme = clone / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + f"\n{NEW_RELEASE_LINE}\n")
    commit_all(clone, "A newer release")
    git(clone, "tag", f"v{newest}")
    return clone, current, newest


@pytest.fixture(scope="module")
def aws():
    """moto in server mode on 127.0.0.1: the STS and ECR APIs of an ECR release."""
    port = run_workflows.free_port()
    server = subprocess.Popen(
        [Path(sys.executable).parent / "moto_server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=2).close()
            break
        except OSError:
            assert (
                server.poll() is None and time.monotonic() < deadline
            ), "moto_server did not start"
            time.sleep(0.3)
    yield url
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.fixture(scope="module")
def outcomes(template, aws, tmp_path_factory):
    """Each combination's project, generated at `current` with the copy tasks (git init),
    and the results of every job of its three workflows. The two projects run at the same
    time, two jobs each (same-named jobs take turns, see run_workflows): much of a job is
    waiting for containers and downloads, and more at once starves the compose smoke test
    (MLflow's health check gives up) on two cores."""
    if not docker.engine_available():
        docker.skip_without("a running Docker engine")
    clone, current, newest = template

    def generate_and_run(name: str):
        destination = tmp_path_factory.mktemp("workflows") / f"act-{name}"
        data = [f"--data={key}={value}" for key, value in COMBINATIONS[name].items()]
        copy = python("-m", "copier", "copy", "--trust", "--defaults", "--quiet", *data)
        run([*copy, "--vcs-ref", f"v{current}", clone, destination])
        work = tmp_path_factory.mktemp("act")
        skipped = SKIPPED_JOBS.get(name, {})
        files = run_workflows.workflow_files(destination, [])
        jobs = [job for path in files for job in run_workflows.jobs_of(path) if job not in skipped]
        results = run_workflows.run(
            destination, jobs=jobs, work=work, aws_endpoint=aws, parallel=2, report=lambda _: None
        )
        for result in results:
            docker.FIGURES[f"act {name} {result.workflow}:{result.job}"] = (
                f"{result.seconds:.0f} s {'passed' if result.passed else 'FAILED'}"
            )
        return destination, work, {(r.workflow, r.job): r for r in results}, newest

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(COMBINATIONS)) as pool:
            return dict(zip(COMBINATIONS, pool.map(generate_and_run, COMBINATIONS), strict=True))
    except run_workflows.Stop as stop:
        pytest.fail(str(stop))


@pytest.fixture(params=list(COMBINATIONS), ids=list(COMBINATIONS))
def outcome(request, outcomes):
    return outcomes[request.param]


def failure(result) -> str:
    return f"{result.workflow}:{result.job} failed; log {result.log}:\n" + "\n".join(
        result.log.read_text(errors="replace").splitlines()[-80:]
    )


def test_every_ci_job_passes(outcome):
    project, _, results, _ = outcome
    jobs = list(yaml.safe_load((project / ".github/workflows/ci.yml").read_text())["jobs"])
    assert jobs == ["pre-commit", "test", "docker"]
    skipped = SKIPPED_JOBS.get(project.name.removeprefix("act-"), {})
    ran = [job for workflow, job in results if workflow == "ci.yml"]
    assert ran == [job for job in jobs if job not in skipped]
    for job in ran:
        result = results["ci.yml", job]
        assert result.passed, failure(result)
        assert all(outcome == "success" for _, outcome in result.steps), result.steps
    docker_steps = [step for step, _ in results["ci.yml", "docker"].steps]
    assert "Main Train inside the bash service" in docker_steps


def test_release_pushes_the_semver_tags_to_the_registry(outcome):
    project, _, results, _ = outcome
    result = results["release.yml", "image"]
    assert result.passed, failure(result)
    assert "Main Build and push" in [step for step, _ in result.steps]
    sha = run(["git", "rev-parse", "HEAD"], cwd=project).stdout.strip()
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    # ghcr.io/<owner>/<repository>, or <account>.dkr.ecr.<region>.amazonaws.com/<slug>
    repository = (
        f"{run_workflows.OWNER}/{project.name}"
        if answers["registry"] == "ghcr"
        else answers["project_slug"]
    )
    assert result.pushed == {repository: sorted(["1.2.0", "1.2", "1", "latest", f"sha-{sha[:7]}"])}


def test_template_update_pushes_its_branch_and_opens_the_pull_request(outcome):
    project, work, results, newest = outcome
    result = results["template-update.yml", "update"]
    assert result.passed, failure(result)
    origin = work / "github" / run_workflows.OWNER / f"{project.name}.git"
    branch = f"template-update/v{newest}"
    answers = yaml.safe_load(
        subprocess.run(
            ["git", "show", f"{branch}:.copier-answers.yml"],
            cwd=origin,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert answers["_commit"] == f"v{newest}"
    readme = run(["git", "show", f"{branch}:README.md"], cwd=origin).stdout
    assert NEW_RELEASE_LINE in readme
    changed = run(["git", "diff", "--name-only", "main", branch], cwd=origin).stdout.split()
    assert sorted(changed) == [".copier-answers.yml", "README.md"]
    [pull] = result.pulls
    assert (pull["headRefName"], pull["baseRefName"], pull["state"]) == (branch, "main", "OPEN")
    assert pull["title"] == f"Update to template version {newest}"
    assert "conflicts" not in pull["body"] and pull["labels"] == []


def test_the_run_leaves_no_image_of_the_project_behind(outcome):
    """Each run's builds would otherwise fill a reused machine's disk (10 GB a CI run)."""
    project, _, results, _ = outcome
    assert results["ci.yml", "docker"].passed  # the jobs did build the images
    slug = yaml.safe_load((project / ".copier-answers.yml").read_text())["project_slug"]
    listed = run(["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]).stdout.split()
    left = [
        ref for ref in listed if ref.rsplit(":", 1)[0] in (slug, f"{slug}-dev", f"{slug}-mlflow")
    ]
    assert left == []
