"""Berth's benchmarks: what users wait for, measured against baselines in the same run.

Usage:  uv run python benchmarks/run.py [--repeat N] [--only NAME ...] [--write-docs [--docs PAGE]]

Each benchmark runs its commands N times, interleaving the candidate and its baseline so
that machine noise hits both alike, and reports medians, spread (min-max) and the ratio of
medians. `--write-docs` replaces the results table in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from packaging.version import Version

from berth_tools import ROOT
from berth_tools.releases import create_tags
from support.commands import CommandFailed, python, run, uv_bin
from support.docker import engine_available, free_port
from support.environments import environment
from support.git import commit_all, git
from support.stack import BASE_IMAGE, CA_BUNDLE  # the Docker tier's stand-ins
from support.versions import head_version, migrations, releases

DOCS = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
LONG = 3600  # seconds: a cold image build is the longest command measured


@dataclass
class Row:
    name: str
    samples: list[float] = field(default_factory=list)
    unit: str = "s"
    target: str = ""
    ratio_of: str | None = None  # name of the baseline row, when this row is compared

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def spread(self) -> str:
        return f"{min(self.samples):.2f}-{max(self.samples):.2f}"


def sh(args: list, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """A command the benchmark needs to succeed (a failure stops it, with the output)."""
    return run(args, cwd=cwd, env=env, timeout=LONG)


def timed(args: list, cwd: Path | None = None, env: dict | None = None) -> float:
    """The wall time of one command (which must succeed)."""
    start = time.perf_counter()
    sh(args, cwd, env)
    return time.perf_counter() - start


def copier(*args) -> list:
    return python("-m", "copier", *args)


def trivial_template(where: Path, versions: int = 1) -> Path:
    """A one-file template in a git repo with tags v1.0.0.. (Copier's own floor)."""
    template = where / "trivial-template"
    template.mkdir()
    (template / "copier.yml").write_text("project_name:\n  type: str\n  default: demo\n")
    if versions > 1:  # updatable: Copier needs the answers file to know where it came from
        (template / "{{_copier_conf.answers_file}}.jinja").write_text(
            "{{ _copier_answers|to_nice_yaml -}}\n"
        )
    git(template, "init", "-q")
    for number in range(1, versions + 1):
        (template / "README.md.jinja").write_text(
            f"# {{{{ project_name }}}}\n\nRelease {number}.\n"
        )
        commit_all(template, f"v{number}", tag=f"v{number}.0.0")
    return template


# Variables Berth's file and folder names use, with the values `--defaults` gives them.
SHAPE_ANSWERS = {
    "package_name": "demo",
    "use_dvc": True,
    "ci_provider": "github",
    "registry": "ghcr",
    "license": "MIT",
}


def shaped_template(where: Path) -> Path:
    """Berth's template tree with trivial content: Copier's own cost for this many files.

    Same names (Jinja included), same templated/verbatim split, one line per file, no
    questions beyond what the names need: what Copier spends per file and folder, whatever
    the template.
    """
    template = where / "shaped-template"
    source = ROOT / "template"
    for path in sorted(source.rglob("*")):
        target = template / "template" / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        elif "_copier_conf.answers_file" in path.name:
            target.write_text(path.read_text())  # the answers file, as Berth writes it
        else:
            target.write_text("{{ package_name }}\n" if path.suffix == ".jinja" else "x\n")
    variables = "".join(
        f"{name}:\n  type: {'bool' if isinstance(value, bool) else 'str'}\n  default: {str(value).lower() if isinstance(value, bool) else value}\n"
        for name, value in SHAPE_ANSWERS.items()
    )
    (template / "copier.yml").write_text(
        f"_subdirectory: template\n_answers_file: .copier-answers.yml\n{variables}"
    )
    git(template, "init", "-q")
    commit_all(template, "shape")
    return template


def packed_clone(source: Path, destination: Path, tags: bool = True) -> Path:
    """A clean clone of `source`'s HEAD, packed like any clone over the network.

    Users get the template that way: uncommitted work is not measured (Copier would commit
    it into its own clone), and a local clone of an unpacked repository would hard-link
    each loose object, which Copier then links again into each of its temporary clones
    and deletes afterwards.
    """
    sh(["git", "clone", "-q", "--no-local", *([] if tags else ["--no-tags"]), source, destination])
    return destination


def packed(build: Callable[[Path], Path], where: Path) -> Path:
    """The template `build` makes (in a scratch folder), as a packed clone in `where`."""
    scratch = where / "scratch"
    scratch.mkdir(exist_ok=True)
    source = build(scratch)
    return packed_clone(source, where / source.name)


def copy_head(template: Path, destination: Path) -> list:
    """The command generating a project from `template`'s HEAD with the defaults."""
    return copier("copy", "-q", "--defaults", "--trust", "--vcs-ref", "HEAD", template, destination)


def bench_copy(repeat: int, tmp: Path) -> list[Row]:
    trivial, shaped = packed(trivial_template, tmp), packed(shaped_template, tmp)
    template = packed_clone(ROOT, tmp / "berth", tags=False)
    floor = Row("copy: trivial template")
    candidates = [  # each row, with the template and the options it is copied with
        (
            Row("copy: Berth, --skip-tasks", target="<= 1.25x", ratio_of=floor.name),
            template,
            ["--trust", "--skip-tasks", "--vcs-ref", "HEAD"],
        ),
        (Row("copy: Berth's file tree, trivial content", ratio_of=floor.name), shaped, []),
        (floor, trivial, []),
        (Row("copy: Berth, with tasks"), template, ["--trust", "--vcs-ref", "HEAD"]),
    ]
    for i in range(repeat):
        for number, (row, source, options) in enumerate(candidates):
            destination = tmp / f"run{i}-{number}"
            row.samples.append(
                timed(copier("copy", "-q", "--defaults", *options, source, destination))
            )
    return [row for row, _, _ in candidates]


def bench_first_prediction(repeat: int, tmp: Path) -> list[Row]:
    """copier copy -> uv sync (warm cache) -> train -> evaluate -> predict, natively.

    Reports the total and each step, so that a regression shows where it comes from.
    """
    uv = uv_bin()
    total = Row("copy to predictions (warm cache)", target="<= 30 s")
    steps = {
        name: Row(f"step: {name}") for name in ("copy", "uv sync", "train", "evaluate", "predict")
    }
    # The program (`__main__.py`) tunes the garbage collector: these rows run the same
    # command without it, the floor the tuned step is compared with.
    defaults = {
        name: Row(f"{name}, collector defaults (no tuning)") for name in ("evaluate", "predict")
    }
    for name in defaults:
        steps[name].ratio_of = defaults[name].name
    env = environment()
    template = packed_clone(ROOT, tmp / "berth", tags=False)
    warm = tmp / "warm"
    sh(copy_head(template, warm))
    sh([uv, "sync", "--locked", "-q"], cwd=warm, env=env)  # fills the package cache
    for i in range(repeat):
        project = tmp / f"p{i}"
        store = tmp / f"store{i}"
        env_i = env | {"MLFLOW_TRACKING_URI": f"sqlite:///{store}/mlflow.db"}
        store.mkdir()
        script = project / ".venv" / "bin" / project.name
        predict = ["predict", "--input", "data/processed/test.parquet", "--output", "p.csv"]
        journey = {  # step: (command, folder, environment)
            "copy": (copy_head(template, project), None, None),
            "uv sync": ([uv, "sync", "--locked", "-q"], project, env_i),
            "train": ([script, "train"], project, env_i),
            "evaluate": ([script, "evaluate"], project, env_i),
            "predict": ([script, *predict], project, env_i),
        }
        for name, (args, cwd, step_env) in journey.items():
            steps[name].samples.append(timed(args, cwd, step_env))
        total.samples.append(sum(steps[name].samples[-1] for name in journey))
        # The same commands through the CLI alone: the collector's defaults, no tuning.
        package = yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"]
        interpreter = project / ".venv" / "bin" / "python"
        untuned = [interpreter, "-c", f"from {package}.cli import main; main()"]
        for name, command in (("evaluate", ["evaluate"]), ("predict", predict)):
            defaults[name].samples.append(timed([*untuned, *command], project, env_i))
    return [total, *steps.values(), *defaults.values()]


def next_version(template: Path) -> tuple[str, str, str]:
    """(the release an update starts from, the migration it crosses, HEAD's next version).

    Copier runs the migrations of the *destination* version's copier.yml, from its own
    clone of that version, so an update to a recorded release replays the migration code
    that release froze. What a user of the current tree will run is the next release
    made from HEAD: HEAD tagged above every recorded release and every migration (as
    the update-history tests do). The update starts at the newest release below the
    newest migration, so that migration really runs.
    """
    versions, migrated = releases(template), migrations(template)
    if not versions or not migrated:
        sys.exit("update benchmark: needs a recorded release and a migration")
    older = [v for v in versions if Version(v) < Version(migrated[-1])]
    if not older:
        sys.exit(f"update benchmark: no recorded release below migration {migrated[-1]}")
    return older[-1], migrated[-1], head_version(template)


def committed_copy(args: list, destination: Path) -> None:
    sh(args)
    if not (destination / ".git").exists():
        git(destination, "init", "-q")
    commit_all(destination, "generated")


def timed_update(args: list, project: Path, expect: str | None = None) -> float:
    """Time one `copier update`; with `expect`, fail unless Copier ran that migration."""
    start = time.perf_counter()
    result = sh(args, cwd=project)
    elapsed = time.perf_counter() - start
    if expect and expect not in result.stderr:
        sys.exit(f"update benchmark: the update did not run {expect}\n{result.stderr[-3000:]}")
    return elapsed


def shaped_releases(where: Path) -> Path:
    """Berth's file tree with trivial content, released twice (v2 changes the README)."""
    template = shaped_template(where)
    git(template, "tag", "v1.0.0")
    readme = template / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + "Release 2.\n")
    commit_all(template, "v2", tag="v2.0.0")
    return template


def bench_update(repeat: int, tmp: Path) -> list[Row]:
    """`copier update` across one migration, to HEAD as the next release, vs a trivial one."""
    template = packed_clone(ROOT, tmp / "berth", tags=False)
    create_tags(template)
    old, migrated, new = next_version(template)
    git(template, "tag", f"v{new}")
    migration = f"migrations/v{migrated}.py"
    trivial = packed(lambda where: trivial_template(where, versions=2), tmp)
    shaped = packed(shaped_releases, tmp)
    floor = Row("update: trivial template v1 -> v2")
    candidates = [  # row, template, versions, copy options, migration Copier must run
        (
            Row(
                f"update: Berth v{old} -> HEAD as v{new} (runs {migration})",
                target="<= 1.5x",
                ratio_of=floor.name,
            ),
            template,
            (f"v{old}", f"v{new}"),
            ["--trust", "--skip-tasks"],
            migration,
        ),
        (
            Row("update: Berth's file tree, trivial content v1 -> v2", ratio_of=floor.name),
            shaped,
            ("v1.0.0", "v2.0.0"),
            [],
            None,
        ),
        (floor, trivial, ("v1.0.0", "v2.0.0"), [], None),
    ]
    for i in range(repeat):
        for number, (row, source, (start, end), options, expect) in enumerate(candidates):
            project = tmp / f"run{i}-{number}"
            committed_copy(
                copier("copy", "-q", "--defaults", *options, "--vcs-ref", start, source, project),
                project,
            )
            # Not quiet, like a user's update: Copier then names each migration it runs.
            update = copier("update", "--defaults", "--trust", "--vcs-ref", end)
            row.samples.append(timed_update(update, project, expect))
    return [row for row, *_ in candidates]


def docker_output(*args: str) -> str:
    return sh(["docker", *args]).stdout.strip()


def image_size(image: str) -> int:
    return int(docker_output("image", "inspect", "--format", "{{.Size}}", image))


def bench_docker(repeat: int, tmp: Path) -> list[Row]:
    """A generated project's images: prod size, rebuilds after a source change, `up --wait`.

    The project is built once (not timed: a cold build depends on the package cache), then
    each run appends one line to the package's __init__.py and rebuilds `prod` and `dev`,
    measures the prod image above its base, and starts the stack from its built images on
    new volumes (`up --wait` until MLflow and JupyterLab are healthy), then removes it.
    Containers, volumes, networks and images it created are removed at the end.
    """
    slug = f"berth-bench-{os.getpid()}"  # compose project and image names derive from it
    project = tmp / slug
    template = packed_clone(ROOT, tmp / "berth", tags=False)
    sh(copy_head(template, project))
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    env.update(
        BASE_IMAGE=BASE_IMAGE,
        CA_BUNDLE=CA_BUNDLE,
        MLFLOW_PORT=str(free_port()),
        JUPYTER_PORT=str(free_port()),
    )
    prod_image = f"{slug}:prod"
    images = [prod_image, f"{slug}-dev", f"{slug}-mlflow"]
    build_prod = [
        "docker",
        "build",
        "--quiet",
        "--target",
        "prod",
        "--tag",
        prod_image,
        "--build-arg",
        f"BASE_IMAGE={BASE_IMAGE}",
        "--secret",
        f"id=ca_bundle,src={CA_BUNDLE}",
        ".",
    ]
    build_dev = ["docker", "compose", "--progress=plain", "build", "jupyter"]
    size = Row("docker: prod image above its base", unit="MB", target="<= 350 MB")
    prod = Row("docker: rebuild prod after a one-line source change", target="<= 10 s")
    dev = Row("docker: rebuild dev after a one-line source change", target="<= 10 s")
    up = Row("docker: compose up --wait (built images, new volumes)", target="<= 20 s")
    replaced: set[str] = set()  # image ids a rebuild untagged
    down = ["docker", "compose", "--profile", "*", "down", "--volumes", "--remove-orphans"]
    try:
        sh(["docker", "compose", "--progress=plain", "build"], cwd=project, env=env)
        sh(build_prod, cwd=project, env=env)
        base = image_size(BASE_IMAGE)
        init = next((project / "src").glob("*/__init__.py"))
        for i in range(repeat):
            replaced.update(
                docker_output("image", "inspect", "--format", "{{.Id}}", *images).split()
            )
            with init.open("a") as handle:
                handle.write(f"# one-line change {i}\n")
            prod.samples.append(timed(build_prod, project, env))
            dev.samples.append(timed(build_dev, project, env))
            size.samples.append((image_size(prod_image) - base) / 1e6)
            up_wait = ["docker", "compose", "up", "--detach", "--wait", "--wait-timeout", "300"]
            up.samples.append(timed(up_wait, project, env))
            sh([*down, "--timeout", "5"], cwd=project, env=env)
    finally:
        subprocess.run([*down, "--timeout", "5"], cwd=project, env=env, capture_output=True)
        for image in [*images, *sorted(replaced)]:
            subprocess.run(["docker", "image", "rm", "--force", image], capture_output=True)
    return [size, prod, dev, up]


BENCHMARKS: dict[str, Callable[[int, Path], list[Row]]] = {
    "copy": bench_copy,
    "update": bench_update,
    "first-prediction": bench_first_prediction,
    "docker": bench_docker,
}
NEEDS_DOCKER = {"docker"}


def table(rows: list[Row]) -> str:
    by_name = {row.name: row for row in rows}
    lines = [
        "| benchmark | median | spread (min-max) | vs. baseline | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        ratio = ""
        if row.ratio_of:
            ratio = f"{row.median / by_name[row.ratio_of].median:.2f}x"
        lines.append(
            f"| {row.name} | {row.median:.2f} {row.unit} | {row.spread()} {row.unit} | {ratio} | {row.target} |"
        )
    return "\n".join(lines)


def machine() -> str:
    cpus = os.cpu_count()
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        pass
    return f"{platform.platform()}, {cpus} CPUs{memory}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS))
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument(
        "--docs", type=Path, default=DOCS, help="the page --write-docs updates (%(default)s)"
    )
    options = parser.parse_args()
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    if options.docs != DOCS and not options.write_docs:
        parser.error("--docs names the page --write-docs updates; add --write-docs")
    if options.write_docs:  # before minutes of measuring, not after
        write_results(options.docs, None)
    # Users' Pythons keep bytecode caches; without them every run recompiles Copier's imports.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    selected = list(options.only or BENCHMARKS)
    if NEEDS_DOCKER & set(selected) and not engine_available():
        if options.only:
            sys.exit(
                "docker benchmark: no Docker engine answers `docker info`; start one "
                "(`bash .ci/docker-engine.sh` on our machines) or leave out --only docker"
            )
        print("skipping docker: no Docker engine answers `docker info`", file=sys.stderr)
        selected = [name for name in selected if name not in NEEDS_DOCKER]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="berth-bench-") as tmp:
        for name in selected:
            print(f"running {name} x{options.repeat} ...", file=sys.stderr)
            workdir = Path(tmp) / name
            workdir.mkdir()
            try:
                rows += BENCHMARKS[name](options.repeat, workdir)
            except CommandFailed as error:
                sys.exit(f"{name} benchmark: a command failed, {error}")
    result = table(rows)
    stamp = time.strftime("%Y-%m-%d")
    print(f"{stamp} on {machine()}, {options.repeat} runs each\n\n{result}")
    if options.write_docs:
        block = f"Measured {stamp} on {machine()}, {options.repeat} runs each.\n\n{result}"
        write_results(options.docs, block)


def write_results(page: Path, block: str | None) -> None:
    """Replace what lies between the results markers of `page` with `block` (None: only
    check that the page exists and has the markers)."""
    try:
        text = page.read_text()
    except OSError as error:
        sys.exit(f"--write-docs: cannot read {page}: {error.strerror}")
    head, begin, rest = text.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not (begin and end):
        sys.exit(f"--write-docs: {page} has no {BEGIN} ... {END} block for the results")
    if block is not None:  # written beside the page, then moved over it: never half-written
        draft = page.with_name(f".{page.name}.draft")
        draft.write_text(f"{head}{BEGIN}\n{block}\n{END}{tail}")
        os.replace(draft, page)


if __name__ == "__main__":
    main()
