"""Run a generated project's GitHub workflows for real, with `act`, on the local Docker engine.

    uv run berth-workflows PROJECT [--workflow FILE]... [--job NAME]...

Every job of the chosen workflows (default: all of .github/workflows/) runs in its own act
invocation and its own workspace, as on GitHub where each job gets a fresh machine, and
the script prints each job's result and duration (also written to WORK/results.json, with
the logs in WORK/logs); it exits non-zero when a job fails.

What stands in for GitHub here (our machines reach no GitHub and no container registry):
- the runner: local/act-runner:trixie, built from Debian packages by .ci/runner-image.sh
  (through .ci/docker-engine.sh, run when an image is missing), with the engine's socket, the host's CA bundle and the stand-in
  tools (.ci/standins/runner, at /opt/berth) mounted;
- the actions: every `uses:` is served from .ci/standins/actions/OWNER/REPO
  (`--local-repository`, `--action-offline-mode`); a pinned action without a stand-in stops
  the run before anything starts;
- the repository: a bare copy of PROJECT (its branches and tags) that git inside the runner
  reaches at https://github.com/berth-act/<folder> (url.insteadOf through GIT_CONFIG_*), so
  the checkout stand-in fetches it and pushes (template-update.yml) land in it; the gh CLI
  stand-in keeps labels and pull requests in a local record;
- pre-commit's hook repositories: Berth's stand-ins (berth_tools.standins);
- the registry: local/registry:2 on 127.0.0.1, which receives the pushes meant for ghcr.io
  or ECR (BERTH_REGISTRY_MAP); ECR's and STS's APIs: an endpoint given with
  --aws-endpoint (moto in server mode does);
- the events: push to the default branch (ci.yml), a push of the tag --tag (workflows run
  on tags only, release.yml), workflow_dispatch (workflows that have it and no push).
- caches: actions/cache entries, pip's and pipx's caches in BERTH_ACT_CACHE (default
  ~/.cache/berth/act); the uv cache of setup-uv is the shared one of the tests
  (BERTH_UV_CACHE, default ~/.cache/uv).

Everything a run creates is removed at its end: containers, compose stacks, the registry,
the images the jobs built (the project's slug and `slug-*`, and the older builds their tags
moved off) and the workspaces (--keep keeps the workspaces). BuildKit's build cache stays:
it is what makes the next run's builds fast (.ci/docker-engine.sh empties it past a size).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from berth_tools import ROOT, standins

STANDINS = ROOT / ".ci" / "standins"
ACTIONS = STANDINS / "actions"
RUNNER_TOOLS = STANDINS / "runner"
RUNNER_IMAGE = os.environ.get("BERTH_RUNNER_IMAGE", "local/act-runner:trixie")
REGISTRY_IMAGE = os.environ.get("BERTH_REGISTRY_IMAGE", "local/registry:2")
CA_BUNDLE = os.environ.get("BERTH_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
OWNER = "berth-act"
AWS_ROLE = "arn:aws:iam::123456789012:role/berth-act-release"  # accepted by a local STS
AWS_REGION = "eu-west-1"
RUNNER_LABELS = ("ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04")
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*([\w.-]+/[\w.-]+)(/[^@\s]*)?@([^\s#]+)", re.M)


class Stop(Exception):
    """A one-line reason to stop before running anything."""


@dataclass
class JobResult:
    workflow: str
    job: str
    passed: bool
    seconds: float
    log: Path
    steps: list[tuple[str, str]] = field(default_factory=list)  # (step, success|failure|skipped)
    pushed: dict[str, list[str]] = field(default_factory=dict)  # repository -> tags in the registry
    pulls: list[dict] = field(default_factory=list)  # pull requests the job opened or edited


def cache_root() -> Path:
    configured = os.environ.get("BERTH_ACT_CACHE")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "berth" / "act"


def uv_cache() -> Path:
    configured = os.environ.get("BERTH_UV_CACHE")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uv"


def act_bin() -> str:
    found = shutil.which("act", path=str(Path(sys.executable).parent)) or shutil.which("act")
    if not found:
        raise Stop("act is not installed (uv sync installs act-bin)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise Stop(f"git {' '.join(args)} failed in {cwd}: {result.stderr.strip()}")
    return result.stdout.strip()


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["docker", *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise Stop(f"docker {' '.join(args[:3])} failed: {result.stderr.strip()[-500:]}")
    return result


# ----------------------------------------------------------------------------- workflows
def workflow_files(project: Path, names: list[str]) -> list[Path]:
    folder = project / ".github" / "workflows"
    if not names:
        found = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
        if not found:
            raise Stop(f"{folder} has no workflows")
        return found
    files = []
    for name in names:
        path = folder / Path(name).name
        if not path.is_file():
            raise Stop(f"no workflow {name} in {folder}")
        files.append(path)
    return files


def triggers(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    on = data.get("on", data.get(True, {}))
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {name: {} for name in on}
    return {name: value or {} for name, value in on.items()}


def jobs_of(path: Path) -> list[str]:
    return list(yaml.safe_load(path.read_text())["jobs"])


def event_for(path: Path, tag: str, branch: str) -> tuple[str, str]:
    """(event name, ref) the workflow is run with."""
    on = triggers(path)
    push = on.get("push")
    if push is not None:
        if push.get("tags") and not push.get("branches"):
            return "push", f"refs/tags/{tag}"
        return "push", f"refs/heads/{branch}"
    if "workflow_dispatch" in on:
        return "workflow_dispatch", f"refs/heads/{branch}"
    if "pull_request" in on:
        return "pull_request", f"refs/heads/{branch}"
    raise Stop(f"{path.name}: no push, workflow_dispatch or pull_request trigger to run it with")


def local_repositories(files: list[Path]) -> list[str]:
    """--local-repository values for every action the workflows use."""
    mapping = []
    for path in files:
        for repo, subpath, ref in USES.findall(path.read_text()):
            if repo.startswith(".") or repo == "docker:":
                continue
            folder = ACTIONS / repo / (subpath or "").strip("/")
            if not (folder / "action.yml").is_file():
                raise Stop(
                    f"{path.name} uses {repo}{subpath}@{ref}, which has no stand-in in {ACTIONS}"
                )
            value = f"{repo}{subpath}@{ref}={folder}"
            if value not in mapping:
                mapping.append(value)
    return mapping


# ----------------------------------------------------------------------------- services
@contextlib.contextmanager
def local_registry(name: str) -> Iterator[str]:
    """local/registry:2 on a free 127.0.0.1 port; yields host:port."""
    port = free_port()
    docker("rm", "--force", "--volumes", name, check=False)
    docker("run", "--detach", "--name", name, "--publish", f"127.0.0.1:{port}:5000", REGISTRY_IMAGE)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://{address}/v2/", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise Stop(f"the local registry did not answer on {address}") from None
                time.sleep(0.3)
        yield address
    finally:
        docker("rm", "--force", "--volumes", name, check=False)
        # The tags the push left in the engine name a registry that is gone.
        pushed = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", check=False).stdout
        stale = [ref for ref in pushed.split() if ref.startswith(f"{address}/")]
        if stale:
            docker("image", "rm", *stale, check=False)


def registry_contents(address: str) -> dict[str, list[str]]:
    def get(path: str) -> dict:
        with urllib.request.urlopen(f"http://{address}{path}", timeout=10) as response:
            return json.load(response)

    return {
        repo: sorted(get(f"/v2/{repo}/tags/list").get("tags") or [])
        for repo in get("/v2/_catalog").get("repositories") or []
    }


# ----------------------------------------------------------------------------- the run
class Runner:
    """Everything one run of berth_tools/run_workflows.py sets up, and removes at the end."""

    def __init__(self, project: Path, work: Path, tag: str, aws_endpoint: str = ""):
        self.project = project
        self.work = work
        self.tag = tag
        self.aws_endpoint = aws_endpoint
        self.repo = project.name
        self.full_name = f"{OWNER}/{self.repo}"
        self.token = "ghs_" + secrets.token_hex(16)
        self.github = work / "github"  # the local "GitHub": bare repositories
        self.api = work / "api"  # the gh stand-in's record
        self.origin = self.github / OWNER / f"{self.repo}.git"
        self.answers = yaml.safe_load((project / ".copier-answers.yml").read_text()) or {}
        self.slug = self.answers.get("project_slug") or self.repo
        self.image_ids: set[str] = set()
        self.lock = threading.Lock()
        self.branch = git("rev-parse", "--abbrev-ref", "HEAD", cwd=project)
        if self.branch == "HEAD":
            self.branch = "main"

    def project_images(self) -> dict[str, str]:
        """`repository:tag` -> image id of the images named after the project: compose's
        `slug-dev`, `slug-mlflow`, the workflows' `slug:dev` and `slug:prod`."""
        listed = docker("image", "ls", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}", check=False)
        found = {}
        for line in listed.stdout.splitlines():
            image_id, reference = line.split(" ", 1)
            repository = reference.rsplit(":", 1)[0]
            if repository == self.slug or repository.startswith(f"{self.slug}-"):
                found[reference] = image_id
        return found

    def note_images(self) -> None:
        """Remember the ids the project's tags point at now: a later job that rebuilds a tag
        leaves the older image untagged, and only its id finds it at the end."""
        with self.lock:
            self.image_ids.update(self.project_images().values())

    def remove_images(self) -> None:
        """The project's images and the older builds its tags moved off. By tag first (an
        image another project also tags keeps that tag), then by id without --force: an id
        still tagged elsewhere or used by a container stays."""
        self.note_images()
        references = list(self.project_images())
        if references:
            docker("image", "rm", *references, check=False)
        for image_id in sorted(self.image_ids):
            docker("image", "rm", image_id, check=False)

    def publish(self) -> None:
        """The project's committed history as the repository on the local GitHub."""
        if git("status", "--porcelain", "--untracked-files=no", cwd=self.project):
            print(f"note: {self.project} has uncommitted changes; the jobs see its last commit")
        self.origin.parent.mkdir(parents=True, exist_ok=True)
        git("clone", "--quiet", "--bare", str(self.project), str(self.origin), cwd=self.work)
        git("config", "uploadpack.allowReachableSHA1InWant", "true", cwd=self.origin)
        tags = git("tag", "--list", self.tag, cwd=self.origin)
        if not tags:
            git("tag", self.tag, self.branch, cwd=self.origin)
        self.api.mkdir(parents=True, exist_ok=True)

    def workspace(self, name: str, ref: str) -> Path:
        """A fresh clone at `ref`, as act reads the commit to run from its workspace."""
        folder = self.work / "jobs" / name / self.repo
        git("clone", "--quiet", str(self.origin), str(folder), cwd=self.work)
        git("checkout", "--quiet", "--detach", ref.removeprefix("refs/heads/"), cwd=folder)
        git("remote", "set-url", "origin", f"https://github.com/{self.full_name}.git", cwd=folder)
        return folder

    def event(self, path: Path, name: str, ref: str) -> Path:
        repository = {
            "name": self.repo,
            "full_name": self.full_name,
            "default_branch": self.branch,
            "html_url": f"https://github.com/{self.full_name}",
            "owner": {"login": OWNER},
        }
        payload: dict = {"ref": ref, "repository": repository, "sender": {"login": OWNER}}
        if name == "workflow_dispatch":
            payload["inputs"] = {}
        event = path.with_suffix(".event.json")
        event.write_text(json.dumps(payload))
        return event

    def git_redirects(self, hooks: dict[str, Path]) -> dict[str, str]:
        """GIT_CONFIG_* for the runner: the hook stand-ins, then GitHub itself (longest match wins)."""
        pairs = [
            (f"url.{path.resolve().as_uri()}.insteadOf", url) for url, path in sorted(hooks.items())
        ]
        local = self.github.resolve().as_uri() + "/"
        pairs += [
            (f"url.{local}.insteadOf", "https://github.com/"),
            (f"url.{local}.insteadOf", f"https://x-access-token:{self.token}@github.com/"),
        ]
        env = {"GIT_CONFIG_COUNT": str(len(pairs))}
        for index, (key, value) in enumerate(pairs):
            env[f"GIT_CONFIG_KEY_{index}"] = key
            env[f"GIT_CONFIG_VALUE_{index}"] = value
        return env

    def mounts(self, hooks: dict[str, Path]) -> list[tuple[Path, str, str]]:
        """(host path, container path, mode) for the runner container."""
        mounts = [
            (Path(CA_BUNDLE), CA_BUNDLE, "ro"),
            (RUNNER_TOOLS, "/opt/berth", "ro"),
            (self.github, str(self.github), "rw"),
            (self.api, str(self.api), "rw"),
            (cache_root() / "actions-cache", "/opt/berth-cache/actions", "rw"),
            (uv_cache(), "/opt/berth-cache/uv", "rw"),
            # pip's and pipx's caches (the template-update job's `pipx run copier`), kept
            # between runs like the uv cache: on GitHub each job downloads them afresh.
            (cache_root() / "pip", "/root/.cache/pip", "rw"),
            (cache_root() / "pipx", "/root/.cache/pipx", "rw"),
        ]
        for root in sorted({path.parent for path in hooks.values()}):
            mounts.append((root, str(root), "ro"))
        template = str(self.answers.get("_src_path", ""))
        if template and Path(template).is_dir():  # a local template: visible at the same path
            mounts.append((Path(template), template, "ro"))
            common = subprocess.run(
                ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
                cwd=template,
                capture_output=True,
                text=True,
            ).stdout.strip()
            if common and not common.startswith(template):  # a worktree's repository
                mounts.append((Path(common), common, "ro"))
        return mounts

    def act_command(
        self,
        workflow: Path,
        job: str,
        event: str,
        event_file: Path,
        workspace: Path,
        env: dict[str, str],
    ) -> list[str]:
        hooks = (
            standins.build([workspace / ".pre-commit-config.yaml"])
            if (workspace / ".pre-commit-config.yaml").is_file()
            else {}
        )
        env = {**env, **self.git_redirects(hooks)}
        options = []
        for host, inside, mode in self.mounts(hooks):
            if not host.exists():  # a cache folder used for the first time
                host.mkdir(parents=True)
            options.append(f"--volume={host}:{inside}:{mode}")
        empty = self.work / "empty"
        empty.touch()
        python = str(self.answers.get("python_version", "3.13"))
        command = [
            act_bin(),
            event,
            "--directory",
            str(workspace),
            "--workflows",
            str(workspace / ".github" / "workflows" / workflow.name),
            "--job",
            job,
            "--eventpath",
            str(event_file),
            "--pull=false",
            "--bind",
            "--no-skip-checkout",
            "--action-offline-mode",
            "--no-cache-server",
            "--rm",
            "--defaultbranch",
            self.branch,
            "--actor",
            OWNER,
            "--env-file",
            str(empty),
            "--secret-file",
            str(empty),
            "--var-file",
            str(empty),
            "--input-file",
            str(empty),
            "--container-options",
            " ".join(options),
            "--secret",
            f"GITHUB_TOKEN={self.token}",
            # The images' base and the CA bundle (repository variables of the workflows).
            "--var",
            f"BASE_IMAGE=local/python:{python}",
            "--var",
            f"CA_BUNDLE={CA_BUNDLE}",
        ]
        if self.aws_endpoint:  # the release workflow's repository variables for ECR
            command += ["--var", f"AWS_ROLE_ARN={AWS_ROLE}", "--var", f"AWS_REGION={AWS_REGION}"]
        for label in RUNNER_LABELS:
            command += ["--platform", f"{label}={RUNNER_IMAGE}"]
        for value in local_repositories([workflow]):
            command += ["--local-repository", value]
        for key, value in env.items():
            command += ["--env", f"{key}={value}"]
        return command

    def run_job(self, workflow: Path, job: str, registry: str) -> JobResult:
        event, ref = event_for(workflow, self.tag, self.branch)
        name = f"{workflow.stem}-{job}"
        workspace = self.workspace(name, ref)
        event_file = self.event(self.work / "jobs" / name / "event", event, ref)
        log = self.work / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        env = {
            "BERTH_ACTIONS_CACHE": "/opt/berth-cache/actions",
            "BERTH_UV_CACHE_MOUNT": "/opt/berth-cache/uv",
            "BERTH_GITHUB_API": str(self.api),
            # Published ports of the compose smoke test: free ones, never a clash.
            "MLFLOW_PORT": str(free_port()),
            "JUPYTER_PORT": str(free_port()),
            "SERVE_PORT": str(free_port()),
        }
        if registry:
            env["BERTH_REGISTRY_MAP"] = f"ghcr.io={registry} *.amazonaws.com={registry}"
        if self.aws_endpoint:
            env["AWS_ENDPOINT_URL"] = self.aws_endpoint
            env["AWS_EC2_METADATA_DISABLED"] = "true"
        command = self.act_command(workflow, job, event, event_file, workspace, env)
        # act names a job's container after the workflow's and the job's names only: two
        # runs of a same-named job at once (two projects, two developers) would share it.
        names = yaml.safe_load(workflow.read_text()).get("name", workflow.name) + "/" + job
        key = hashlib.sha256(names.encode()).hexdigest()[:16]
        with open(f"/tmp/berth-act-job-{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            start = time.monotonic()
            returncode = self.act(command, log)
            seconds = time.monotonic() - start
        self.remove_containers(workspace)
        self.note_images()
        text = log.read_text(errors="replace")
        passed = returncode == 0 and "Job succeeded" in text
        result = JobResult(workflow.name, job, passed, seconds, log, steps=steps_of(text))
        if registry:
            result.pushed = registry_contents(registry)
        state = self.api / self.full_name.replace("/", "__") / "state.json"
        if state.is_file():
            result.pulls = json.loads(state.read_text())["pulls"]
        return result

    @staticmethod
    def act(command: list[str], log: Path) -> int:
        with log.open("w") as handle:
            handle.write("$ " + " ".join(command) + "\n")
            handle.flush()
            return subprocess.run(
                command, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            ).returncode

    def remove_containers(self, workspace: Path) -> None:
        """What the job left: its act containers (they mount the workspace) and the compose
        stacks started in the workspace, with their volumes and networks."""
        ids = docker("ps", "--all", "--quiet", "--no-trunc").stdout.split()
        if not ids:
            return
        inspected = json.loads(docker("inspect", *ids, check=False).stdout or "[]")
        projects = set()
        for container in inspected:
            labels = container["Config"].get("Labels") or {}
            mounted = any(
                str(m.get("Source", "")).startswith(str(workspace))
                for m in container.get("Mounts", [])
            )
            composed = labels.get("com.docker.compose.project.working_dir") == str(workspace)
            if mounted or composed:
                docker("rm", "--force", "--volumes", container["Id"], check=False)
            if composed:
                projects.add(labels["com.docker.compose.project"])
        for project in projects:
            label = f"label=com.docker.compose.project={project}"
            for volume in docker("volume", "ls", "--quiet", "--filter", label).stdout.split():
                docker("volume", "rm", volume, check=False)
            for network in docker("network", "ls", "--quiet", "--filter", label).stdout.split():
                docker("network", "rm", network, check=False)


def steps_of(log: str) -> list[tuple[str, str]]:
    """(step, outcome) from act's log: `✅  Success - Main Run the tests`."""
    found = []
    for line in log.splitlines():
        match = re.match(
            r"^\[[^\]]+\]\s+(✅|❌)\s+(Success|Failure) - (.+?)(?: \[[^\]]+\])?$", line.strip()
        )
        if match:
            found.append((match.group(3).strip(), match.group(2).lower()))
    return found


def ensure_images() -> None:
    """The engine, the base images and the runner's: .ci/docker-engine.sh when one is missing."""
    images = (RUNNER_IMAGE, REGISTRY_IMAGE, "local/python:3.13")
    ready = docker("info", check=False).returncode == 0 and all(
        docker("image", "inspect", image, check=False).returncode == 0 for image in images
    )
    if ready:
        return
    script = ROOT / ".ci" / "docker-engine.sh"
    print(f"building what is missing of {', '.join(images)} ({script})", flush=True)
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        raise Stop(lines[-1] if lines else f"{script} failed")


def run(
    project: Path,
    workflows: list[str] | None = None,
    jobs: list[str] | None = None,
    tag: str = "v1.2.0",
    work: Path | None = None,
    keep: bool = False,
    aws_endpoint: str = "",
    parallel: int = 1,
    report=print,
) -> list[JobResult]:
    """Run the jobs; returns one result per job (see JobResult)."""
    project = project.resolve()
    if not (project / ".git").exists():
        raise Stop(
            f"{project} is not a git repository (generate it with the copy tasks, or git init)"
        )
    if not (project / ".copier-answers.yml").is_file():
        raise Stop(f"{project} has no .copier-answers.yml: not a generated project")
    files = workflow_files(project, workflows or [])
    selected = [(path, job) for path in files for job in jobs_of(path) if not jobs or job in jobs]
    if not selected:
        raise Stop(f"no job named {', '.join(jobs or [])} in {', '.join(p.name for p in files)}")
    local_repositories(files)  # every action has a stand-in, before anything starts
    if not aws_endpoint and any("amazon-ecr-login@" in path.read_text() for path, _ in selected):
        raise Stop("the release pushes to ECR: give --aws-endpoint (e.g. moto_server's URL)")
    ensure_images()
    work = work or Path(tempfile.mkdtemp(prefix="berth-act-", dir="/var/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    runner = Runner(project, work, tag, aws_endpoint)
    runner.publish()

    def one(path: Path, job: str) -> JobResult:
        needs_registry = bool(re.search(r"login-action@|amazon-ecr-login@", path.read_text()))
        with contextlib.ExitStack() as stack:
            name = f"berth-act-registry-{secrets.token_hex(6)}"
            registry = stack.enter_context(local_registry(name)) if needs_registry else ""
            result = runner.run_job(path, job, registry)
        report(
            f"{'PASS' if result.passed else 'FAIL'}  {path.name}:{job}  "
            f"{result.seconds:.0f} s  (log: {result.log})"
        )
        return result

    try:
        # Each job has its own workspace (and registry), as each has its own machine on GitHub.
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
            results = list(pool.map(lambda selection: one(*selection), selected))
        summary = [
            {"workflow": r.workflow, "job": r.job, "passed": r.passed, "seconds": round(r.seconds)}
            for r in results
        ]
        (work / "results.json").write_text(json.dumps(summary, indent=2) + "\n")
        return results
    finally:
        runner.remove_images()
        if not keep:
            shutil.rmtree(work / "jobs", ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path, help="a generated project (a git repository)")
    parser.add_argument(
        "--workflow",
        action="append",
        default=[],
        help="a file in .github/workflows (repeatable; default all)",
    )
    parser.add_argument(
        "--job", action="append", default=[], help="a job id (repeatable; default all)"
    )
    parser.add_argument(
        "--tag",
        default="v1.2.0",
        help="the tag pushed for workflows that run on tags (default v1.2.0)",
    )
    parser.add_argument(
        "--work",
        type=Path,
        help="folder for the workspaces and logs (default a new one under /var/tmp)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the job workspaces")
    parser.add_argument(
        "--aws-endpoint", default="", help="URL of an STS/ECR API (e.g. moto) for ECR releases"
    )
    parser.add_argument(
        "--parallel", type=int, default=1, help="jobs run at the same time (default 1)"
    )
    args = parser.parse_args(argv)
    try:
        results = run(
            args.project,
            args.workflow,
            args.job,
            args.tag,
            args.work,
            args.keep,
            args.aws_endpoint,
            args.parallel,
        )
    except Stop as stop:
        print(f"run_workflows: error: {stop}", file=sys.stderr)
        return 2
    failed = [r for r in results if not r.passed]
    print(f"{len(results) - len(failed)} of {len(results)} jobs passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
