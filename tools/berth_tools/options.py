"""The options manifest: what each answer adds to a generated project, declared once.

Every choice and yes/no question of copier.yml has an entry here, one per value (and so
does a free-text answer that changes the dependencies: its empty answer and one example
that stands for every other). A value's `Adds` says

    files   the files it adds, as rendered paths (`{package_name}` for the package's
            folder); a file that no value lists is in every project
    lock    the part it adds to the name of the dependency lock the project starts with
            (includes/locks/<variant>.lock): a project's parts joined with "-" in the
            order below, or "base" when it has none
    absent  text that appears nowhere in a project with this answer (no file name, no
            content; the answers file records the answer itself)

Files that only two answers together add (the Dask resources for Kubernetes) are in
TOGETHER, with those answers.

Who reads it: the render tests (each combination's exact file set, its lock, the absent
text), the answer matrix (its values), relock (one lock per variant) and the options page
of the docs. copier.yml computes `lock_variant` itself, since Copier cannot import this;
a fast test proves the two agree for every combination.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from berth_tools import ROOT


@dataclass(frozen=True)
class Adds:
    """What one answer adds to a project (see the module's docstring)."""

    files: tuple[str, ...] = ()
    lock: str | None = None
    absent: tuple[str, ...] = ()


NOTHING = Adds()
LICENSE = Adds(files=("LICENSE",))
GITHUB_RELEASE = ".github/workflows/release.yml"
AWS_BATCH = tuple(f"deploy/aws-batch/{name}" for name in ("train.json", "predict.json", "fill.py"))

OPTIONS: dict[str, dict[Any, Adds]] = {
    "python_version": {"3.13": NOTHING, "3.12": NOTHING, "3.11": NOTHING},
    "license": {
        "MIT": LICENSE,
        "BSD-3-Clause": LICENSE,
        "Apache-2.0": LICENSE,
        "MPL-2.0": LICENSE,
        "proprietary": NOTHING,
    },
    "use_dvc": {
        True: Adds(
            files=(
                ".dvc/.gitignore",
                ".dvc/config",
                ".dvcignore",
                "dvc.yaml",
                "tests/integration/test_pipeline.py",
            ),
            lock="dvc",
        ),
        False: Adds(absent=("dvc",)),
    },
    # Free text: the empty answer, and one bucket standing for every other.
    "dvc_s3_remote_url": {"": NOTHING, "s3://berth-lock-placeholder": Adds(lock="s3")},
    "use_dask": {
        True: Adds(
            files=(
                "src/{package_name}/io/cluster.py",
                "src/{package_name}/io/dask.yaml",
                "src/{package_name}/io/partitions.py",
                "src/{package_name}/jobs/partitioned.py",
                "tests/integration/test_dask.py",
            ),
            lock="dask",
        ),
        False: Adds(absent=("dask", "Dask")),
    },
    "ci_provider": {
        "github": Adds(
            files=(
                ".github/dependabot.yml",
                ".github/workflows/ci.yml",
                ".github/workflows/template-update.yml",
            )
        ),
        "none": Adds(absent=(".github/",)),
    },
    "registry": {
        "ghcr": Adds(files=(GITHUB_RELEASE,), absent=("Amazon ECR", "AWS_")),
        "ecr": Adds(files=(GITHUB_RELEASE, *AWS_BATCH), absent=("ghcr.io",)),
        "none": Adds(absent=("ghcr.io", "Amazon ECR", "AWS_")),
    },
    "use_devcontainer": {
        True: Adds(files=(".devcontainer/devcontainer.json",)),
        False: Adds(absent=("devcontainer",)),
    },
    "use_kubernetes": {
        True: Adds(
            files=tuple(
                f"deploy/k8s/{path}"
                for path in (
                    "base/kustomization.yaml",
                    "base/configmap.yaml",
                    "base/serve-deployment.yaml",
                    "base/serve-service.yaml",
                    "base/train-job.yaml",
                    "base/predict-cronjob.yaml",
                    "base/data-pvc.yaml",
                    "overlays/example/kustomization.yaml",
                    "overlays/example/config.yaml",
                )
            )
        ),
        False: Adds(absent=("deploy/k8s", "kubectl")),
    },
}


# What two or more answers add only together: (those answers, what they add). Their files
# count as the answers' conditional files everywhere the manifest's files do.
TOGETHER: tuple[tuple[dict[str, Any], Adds], ...] = (
    (
        {"use_kubernetes": True, "use_dask": True},
        Adds(
            files=tuple(
                f"deploy/k8s/dask/{name}"
                for name in (
                    "kustomization.yaml",
                    "shared-pvc.yaml",
                    "dask-cluster.yaml",
                    "predict-daskjob.yaml",
                )
            )
        ),
    ),
)


def adds(answers: dict[str, Any]) -> Iterator[Adds]:
    """The entries of the answers the manifest knows, in manifest order."""
    for name, values in OPTIONS.items():
        if name in answers:
            yield values[answers[name]]


def lock_variant(answers: dict[str, Any]) -> str:
    """The lock a project with these answers starts with (includes/locks/<variant>.lock)."""
    return "-".join(entry.lock for entry in adds(answers) if entry.lock) or "base"


def adds_together(answers: dict[str, Any]) -> Iterator[Adds]:
    """The entries of TOGETHER whose answers are all among `answers`."""
    for condition, entry in TOGETHER:
        if all(name in answers and answers[name] == value for name, value in condition.items()):
            yield entry


def conditional_files(answers: dict[str, Any], package_name: str) -> set[str]:
    """The files these answers add (rendered paths)."""
    entries = [*adds(answers), *adds_together(answers)]
    return {path.format(package_name=package_name) for entry in entries for path in entry.files}


def declared_files() -> set[str]:
    """Every file some answer, or some answers together, add (`{package_name}` unfilled)."""
    entries = [e for values in OPTIONS.values() for e in values.values()]
    entries += [entry for _, entry in TOGETHER]
    return {path for entry in entries for path in entry.files}


def absent_text(answers: dict[str, Any]) -> set[str]:
    return {text for entry in adds(answers) for text in entry.absent}


@functools.cache
def template_paths(root: Path = ROOT) -> tuple[str, ...]:
    """Every file of the template, as its path under template/ (Jinja in names included).

    Read once per process: the template does not change while a command or test runs."""
    base = root / "template"
    return tuple(sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file()))


def is_conditional(template_path: str) -> bool:
    """Whether an answer decides if the file exists (a condition in its path)."""
    return "{%" in template_path


@functools.cache
def unconditional_files(package_name: str, root: Path = ROOT) -> frozenset[str]:
    """The rendered paths of the files every project has."""
    context = {
        "package_name": package_name,
        "_copier_conf": {"answers_file": ".copier-answers.yml"},
    }
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return frozenset(
        environment.from_string(path).render(context).removesuffix(".jinja")
        for path in template_paths(root)
        if not is_conditional(path)
    )


def expected_files(answers: dict[str, Any], package_name: str, root: Path = ROOT) -> set[str]:
    """Exactly the files a project with these answers has."""
    return unconditional_files(package_name, root) | conditional_files(answers, package_name)


def lock_variants() -> dict[str, dict[str, Any]]:
    """Every lock variant, with the first answers (in manifest order) that select it.

    Only the answers that name a lock part; relock renders with them, the rest default.
    """
    from berth_tools.matrix import valid_combinations

    locking = {name: list(values) for name, values in OPTIONS.items() if _names_a_lock(values)}
    variants: dict[str, dict[str, Any]] = {}
    for row in valid_combinations(locking):
        variants.setdefault(lock_variant(row), row)
    return variants


def _names_a_lock(values: dict[Any, Adds]) -> bool:
    return any(entry.lock for entry in values.values())
