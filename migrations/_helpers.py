"""Shared helpers for Berth's migrations: answers, moved files, deleted files, conflicts.

Copier runs every migration as `{{ _copier_python }} migrations/<file>.py <answers file>`
in the project's folder, with STAGE ("before" or "after") and the VERSION_* variables in
the environment. `before` runs after Copier has rendered the old release into a temporary
folder and before it renders the new one; `after` runs once the update is applied.

Everything here is idempotent: running a step twice changes nothing the second time, and
nothing needs a git identity (only `git show`, `git ls-tree`, `git status` and
`git merge-file`, which never commit).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
# Copier's own labels for the three sides of a merge, so every conflict looks the same.
LABELS = ("before updating", "last update", "after updating")
STATE_DIR = "berth-update"  # inside the project's git directory, removed by finish()


class MigrationError(Exception):
    """A problem the user must fix; printed as one message, exit status 1."""


# ─── git and files ──────────────────────────────────────────────────────────


def git(project: Path, *args: str, check: bool = True, input: bytes | None = None) -> bytes:
    result = subprocess.run(
        ["git", *args], cwd=project, capture_output=True, input=input, check=False
    )
    if check and result.returncode != 0:
        raise MigrationError(
            f"git {' '.join(args)} failed: {result.stderr.decode(errors='replace')}"
        )
    return result.stdout


def head_files(project: Path) -> set[str]:
    """Paths committed in the project before the update (relative to the project)."""
    out = git(project, "ls-tree", "-r", "-z", "--name-only", "HEAD", "--", ".")
    return {p for p in out.decode().split("\0") if p}


def head_bytes(project: Path, path: str) -> bytes | None:
    """A file as the user committed it before the update, or None."""
    return head_contents(project, [path])[path]


def head_contents(project: Path, paths: list[str]) -> dict[str, bytes | None]:
    """Several committed files (None: not committed, or not a file) with one git process."""
    found: dict[str, bytes | None] = dict.fromkeys(paths)
    batch = [p for p in found if "\n" not in p]  # cat-file reads one name a line
    for path in found.keys() - set(batch):
        result = subprocess.run(
            ["git", "show", f"HEAD:./{path}"], cwd=project, capture_output=True, check=False
        )
        found[path] = result.stdout if result.returncode == 0 else None
    if not batch:
        return found
    out = git(
        project,
        "cat-file",
        "--batch",
        input="".join(f"HEAD:./{path}\n" for path in batch).encode(),
    )
    position = 0
    for path in batch:
        end = out.index(b"\n", position)
        header = out[position:end].split(b" ")
        position = end + 1
        if len(header) == 3 and header[2].isdigit():  # <object> <type> <size>, then content
            size = int(header[2])
            if header[1] == b"blob":
                found[path] = out[position : position + size]
            position += size + 1
    return found


def read_bytes(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def merge(ours: bytes, base: bytes, theirs: bytes) -> tuple[bytes, bool]:
    """3-way merge with `git merge-file`; returns (result, has_conflicts)."""
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name, content in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(tmp, name)
            path.write_bytes(content)
            files.append(str(path))
        labels = [arg for label in LABELS for arg in ("-L", label)]
        result = subprocess.run(
            ["git", "merge-file", "-p", *labels, *files], capture_output=True, check=False
        )
    if result.returncode < 0 or result.returncode > 127:
        raise MigrationError(f"git merge-file failed: {result.stderr.decode(errors='replace')}")
    return result.stdout, result.returncode > 0


# ─── template configuration and answers ─────────────────────────────────────


def load_copier_config(template_root: Path = TEMPLATE_ROOT) -> dict[str, Any]:
    """copier.yml merged across its documents, with `!include` resolved like Copier does."""

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when built with it
        pass

    def include(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        pattern = str(template_root / loader.construct_scalar(node))
        for name in sorted(glob.glob(pattern)):
            for document in yaml.load_all(Path(name).read_text(), Loader=Loader):
                merged.update(document or {})
        return merged

    Loader.add_constructor("!include", include)
    merged: dict[str, Any] = {}
    for document in yaml.load_all((template_root / "copier.yml").read_text(), Loader=Loader):
        if isinstance(document, dict):
            merged.update(document)
    return merged


def question_choices(spec: dict[str, Any]) -> list[Any] | None:
    """A question's allowed values, or None when any value (or a computed list) goes."""
    choices = spec.get("choices")
    if not choices:
        return None
    values = list(choices.values()) if isinstance(choices, dict) else list(choices)
    if any(isinstance(v, str) and "{{" in v for v in values):
        return None
    return [v.get("value") if isinstance(v, dict) else v for v in values]


def read_answers(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text()) or {}


def write_answers(path: Path, answers: dict[str, Any]) -> None:
    header = "# Changes here will be overwritten by Copier; do not edit by hand.\n"
    path.write_text(header + yaml.safe_dump(answers, sort_keys=True, allow_unicode=True))


def migrate_answers(
    answers: dict[str, Any],
    renamed: dict[str, str] | None = None,
    mapped: dict[str, dict[Any, Any]] | None = None,
    dropped: list[str] | None = None,
) -> dict[str, Any]:
    """Rename questions, map changed choice values, drop removed questions (pure, idempotent)."""
    result = dict(answers)
    for old, new in (renamed or {}).items():
        if old in result:
            value = result.pop(old)
            result.setdefault(new, value)
    for name, mapping in (mapped or {}).items():
        if name in result:
            value = result[name]
            if isinstance(value, list):
                result[name] = [mapping.get(v, v) for v in value]
            else:
                result[name] = mapping.get(value, value)
    for name in dropped or []:
        result.pop(name, None)
    return result


def invalid_answers(
    answers: dict[str, Any], config: dict[str, Any], overrides: dict[str, Any] | None = None
) -> list[str]:
    """Recorded answers the template would silently replace by a default.

    `overrides` are the answers given on the command line (`--data`): they win, so a
    user can fix an answer that way.
    """
    problems = []
    for name, value in answers.items():
        if name.startswith("_") or name in (overrides or {}):
            continue
        spec = config.get(name)
        if not isinstance(spec, dict) and name not in config:
            problems.append(f"{name}: this template version has no such question")
            continue
        allowed = question_choices(spec) if isinstance(spec, dict) else None
        if allowed is None:
            continue
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item not in allowed:
                problems.append(
                    f"{name}: {item!r} is no longer a choice "
                    f"(choices: {', '.join(map(repr, allowed))})"
                )
    return problems


# ─── the migration context ──────────────────────────────────────────────────


@dataclass
class Context:
    """What Copier tells a migration, plus the project's state folder."""

    project: Path
    answers_file: str
    stage: str
    version_from: str  # the old `_commit` (a tag or `git describe` output)
    version_to: str
    version_current: str | None = None
    version_pep440_to: str | None = None
    template_root: Path = TEMPLATE_ROOT
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_environment(cls, argv: list[str] | None = None) -> Context:
        argv = sys.argv[1:] if argv is None else argv
        env = os.environ
        return cls(
            project=Path.cwd(),
            answers_file=argv[0] if argv else ".copier-answers.yml",
            stage=env.get("STAGE", "after"),
            version_from=env.get("VERSION_FROM", ""),
            version_to=env.get("VERSION_TO", ""),
            version_current=env.get("VERSION_CURRENT") or None,
            version_pep440_to=env.get("VERSION_PEP440_TO") or None,
        )

    @cached_property
    def state_dir(self) -> Path:
        path = git(self.project, "rev-parse", "--git-path", STATE_DIR).decode().strip()
        return (self.project / path).resolve()

    def load_state(self) -> dict[str, Any]:
        path = self.state_dir / "state.json"
        state = json.loads(path.read_text()) if path.is_file() else {}
        if state.get("update") != [self.version_from, self.version_to]:
            state = {"update": [self.version_from, self.version_to], "handled": [], "carried": {}}
        return state

    def save_state(self, state: dict[str, Any]) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / "state.json").write_text(json.dumps(state, indent=1, sort_keys=True))

    def old_answers(self) -> dict[str, Any]:
        """The answers the project was last rendered with (as committed before the update)."""
        content = head_bytes(self.project, self.answers_file)
        if content is None:
            raise MigrationError(f"{self.answers_file} is not committed; cannot migrate")
        return yaml.safe_load(content) or {}

    def _render_slot(self, ref: str, answers: dict[str, Any]) -> tuple[dict[str, Any], Path, str]:
        """The answers a render of `ref` uses, the folder of renders and the render's key."""
        data = {k: v for k, v in answers.items() if not k.startswith("_")}
        key = hashlib.sha256(json.dumps([ref, data], sort_keys=True).encode()).hexdigest()[:16]
        return data, self.state_dir / "renders", key

    def render(
        self,
        ref: str,
        answers: dict[str, Any],
        paths: Iterable[str] | None = None,
        confirm: bool = True,
    ) -> Path:
        """The template at `ref` rendered for `answers` (cached for this update).

        With `paths`, only those files are rendered (the rest of the template is excluded),
        which is all a 3-way merge needs; a render that lacks one of them is confirmed by a
        full render (unless `confirm` is false), so a path the exclusion did not let through
        never passes for a file the release does not ship. A render started in the
        background (`start_render`) is waited for, then reused.
        """
        data, renders, key = self._render_slot(ref, answers)
        wanted = None if paths is None else sorted(set(paths))
        if confirm:
            _wait_for_locks(sorted(renders.glob(f"{key}-*.lock")))
        for manifest in sorted(renders.glob(f"{key}-*/.berth-rendered")):
            covered = json.loads(manifest.read_text())["paths"]
            if covered is None or (wanted is not None and set(wanted) <= set(covered)):
                return manifest.parent / "project"
        destination = renders / f"{key}-{_digest(wanted)}"
        shutil.rmtree(destination, ignore_errors=True)
        from copier import Worker  # the migration runs on Copier's own interpreter

        with Worker(
            src_path=str(self.template_root),
            dst_path=destination / "project",
            data=data,
            vcs_ref=ref,
            defaults=True,
            overwrite=True,
            quiet=True,
            skip_tasks=True,
            unsafe=True,
            answers_file=self.answers_file,
        ) as worker:
            if wanted is not None:
                # The template's own exclusions come last again, so they still win.
                worker.exclude = [*only(wanted), *worker.template.exclude]
            worker.run_copy()
        (destination / "project").mkdir(parents=True, exist_ok=True)
        if wanted is not None and not all((destination / "project" / p).is_file() for p in wanted):
            return self.render(ref, answers) if confirm else destination / "project"
        (destination / ".berth-rendered").write_text(json.dumps({"ref": ref, "paths": wanted}))
        return destination / "project"

    def start_render(self, ref: str, answers: dict[str, Any], paths: list[str]) -> bool:
        """Render `paths` in a detached process, while Copier renders the project.

        The process holds a lock on the render until it is written; `render` waits for it
        and reuses it (or renders itself when the background render failed). Only where
        file locks exist (POSIX); True when a render was started.
        """
        try:
            import fcntl
        except ImportError:
            return False
        data, renders, key = self._render_slot(ref, answers)
        renders.mkdir(parents=True, exist_ok=True)
        wanted = sorted(set(paths))
        destination = renders / f"{key}-{_digest(wanted)}"
        if (destination / ".berth-rendered").is_file():
            return False
        with open(destination.with_name(f"{destination.name}.lock"), "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False  # already being rendered
            # The child inherits the locked descriptor: the lock lasts until it exits.
            subprocess.Popen(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "render",
                    self.answers_file,
                    json.dumps({"ref": ref, "answers": data, "paths": wanted}),
                ],
                cwd=self.project,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(lock.fileno(),),
                start_new_session=True,
            )
        return True

    def render_at_version(
        self, version: str, answers: dict[str, Any], paths: Iterable[str] | None = None
    ) -> Path:
        """The release `version` (its `v` tag; the target commit when it is the target)."""
        if self.version_pep440_to and version == self.version_pep440_to:
            return self.render(self.version_to, answers, paths)
        return self.render(f"v{version}", answers, paths)


def _digest(paths: list[str] | None) -> str:
    return "all" if paths is None else hashlib.sha256(json.dumps(paths).encode()).hexdigest()[:8]


def _wait_for_locks(locks: list[Path], timeout: float = 900.0) -> None:
    """Wait until no background render holds these locks (at most `timeout` seconds)."""
    try:
        import fcntl
    except ImportError:
        return
    deadline = time.monotonic() + timeout
    for path in locks:
        with open(path) as lock:
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        return  # render it here instead
                    time.sleep(0.02)


def only(paths: list[str]) -> list[str]:
    """Copier exclusion patterns (gitignore syntax) that let exactly `paths` through."""
    escaped = (re.sub(r"([\\*?\[\]]| $)", r"\\\1", path) for path in paths)
    return ["*", *(f"!/{path}" for path in escaped)]


# ─── the steps ──────────────────────────────────────────────────────────────


def apply_answer_changes(ctx: Context, **changes: Any) -> bool:
    """Before stage: rename/map/drop answers in the answers file. True when it changed."""
    path = ctx.project / ctx.answers_file
    answers = read_answers(path)
    migrated = migrate_answers(answers, **changes)
    if migrated == answers:
        return False
    write_answers(path, migrated)
    return True


def carry_moved_files(ctx: Context, moves: dict[str, str | list[str]]) -> None:
    """After stage: 3-way merge the user's edits of each moved file into its new place.

    base: the file as the previous release rendered it for the project's old answers;
    ours: the user's committed file; theirs: the file at its new path as this release
    renders it. When a later release of the same update moves it again, the merged file is
    left for that release's migration to carry on (recorded in the state folder).

    Renders hold only the files compared. The new release is rendered only when a file
    needs it: a moved file the user left as the old release made it, whose new places
    Copier has just written from the new release (new paths, not committed before), needs
    nothing more.
    """
    state = ctx.load_state()
    old_answers = ctx.old_answers()
    new_answers = read_answers(ctx.project / ctx.answers_file)
    committed = head_files(ctx.project)
    plan = []  # (source, its new places, the version it was carried to, or None)
    for source, destinations in moves.items():
        if isinstance(destinations, str):
            destinations = [destinations]
        source = source.format_map(old_answers)
        destinations = [d.format_map(new_answers) for d in destinations]
        plan.append((source, destinations, state["carried"].get(source)))
    fresh = [source for source, _, carried in plan if not carried]
    # ours: as committed, or as an earlier release of this update carried it
    ours_of = head_contents(ctx.project, fresh) if fresh else {}
    ours_of.update({s: read_bytes(ctx.project / s) for s, _, carried in plan if carried})
    bases: dict[str, bytes | None] = {}
    if fresh:
        root = ctx.render(ctx.version_from, old_answers, fresh)
        bases.update({source: read_bytes(root / source) for source in fresh})
    for carried in {carried for _, _, carried in plan if carried}:
        sources = [source for source, _, c in plan if c == carried]
        root = ctx.render_at_version(carried, new_answers, sources)
        bases.update({source: read_bytes(root / source) for source in sources})

    def settled_by_copier(source: str, destinations: list[str], carried: str | None) -> bool:
        """Unedited, and every new place is a new file Copier wrote from the new release."""
        return (
            not carried
            and ours_of[source] == bases[source]
            and all(d not in committed and (ctx.project / d).is_file() for d in destinations)
            and (source in destinations or not (ctx.project / source).is_file())
        )

    needed = [
        path
        for source, destinations, carried in plan
        if bases[source] is not None
        and ours_of[source] is not None
        and not settled_by_copier(source, destinations, carried)
        for path in [*destinations, source]
    ]
    target = ctx.render(ctx.version_to, new_answers, needed) if needed else None
    for source, destinations, carried in plan:
        ours, base = ours_of[source], bases[source]
        if base is None:
            continue  # the old release did not render it for these answers
        if ours is None:
            # The user deleted the file: respect that at its new places too.
            for destination in destinations:
                if destination not in committed and (ctx.project / destination).is_file():
                    (ctx.project / destination).unlink()
                    ctx.notes.append(f"{destination}: not created, you had deleted {source}")
            _mark_handled(state, source)
            continue
        if settled_by_copier(source, destinations, carried):
            _mark_handled(state, source)
            continue
        for destination in destinations:
            final = read_bytes(target / destination)
            if final is not None:
                theirs, write_state = final, False
            else:  # a later release of this update moves or deletes it again
                theirs = read_bytes(
                    ctx.render_at_version(ctx.version_current, new_answers, [destination])
                    / destination
                )
                write_state = True
                if theirs is None:
                    continue
            if ours == base:
                if write_state:
                    continue  # nothing of the user's to carry through a later release
                merged, conflicted = theirs, False
            else:
                merged, conflicted = merge(ours, base, theirs)
            out = ctx.project / destination
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(merged)
            if write_state:
                state["carried"][destination] = ctx.version_current
            if ours != base:
                ctx.notes.append(
                    f"{destination}: your edits of {source} carried over"
                    + (" (CONFLICT)" if conflicted else "")
                )
        stale = source not in destinations and (ctx.project / source).is_file()
        if stale and (carried or read_bytes(target / source) is None):
            (ctx.project / source).unlink()
        state["carried"].pop(source, None)
        _mark_handled(state, source)
    ctx.save_state(state)


def start_base_render(ctx: Context, moves: dict[str, str | list[str]]) -> bool:
    """Before stage: render the old release's moved files while Copier renders the new one.

    The after stage needs them as the base of its merges, and Copier's own render of the
    old release is gone by then. Only files the project committed (an earlier release of
    the same update may move the others first).
    """
    old_answers = ctx.old_answers()
    committed = head_files(ctx.project)
    sources = [s.format_map(old_answers) for s in moves]
    sources = [s for s in sources if s in committed]
    return bool(sources) and ctx.start_render(ctx.version_from, old_answers, sources)


def _mark_handled(state: dict[str, Any], source: str) -> None:
    if source not in state["handled"]:
        state["handled"].append(source)


def keep_deleted_edits(ctx: Context) -> None:
    """After stage: restore files the new release deleted although the user had edited them."""
    state = ctx.load_state()
    missing = [
        path
        for path in sorted(head_files(ctx.project))
        if not (ctx.project / path).exists() and path not in state["handled"]
    ]
    if not missing:
        return
    base_root = ctx.render(ctx.version_from, ctx.old_answers(), missing)
    committed = head_contents(ctx.project, missing)
    for path in missing:
        base = read_bytes(base_root / path)
        ours = committed[path]
        if base is None or ours is None or ours == base:
            continue
        out = ctx.project / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(ours)
        ctx.notes.append(
            f"{path}: kept with your edits, although the template no longer ships it; "
            "delete it if you do not need it"
        )


CONFLICT_PREFIXES = (b"<<<<<<< ", b">>>>>>> ")
UNMERGED = {"DD", "AU", "UD", "UA", "DU", "AA", "UU"}


def find_conflicts(project: Path) -> list[str]:
    """Files an update left unresolved: unmerged, with conflict markers, or `.rej` files."""
    # Ignored files only where a pattern names them (a `*.rej` rule), never each file of an
    # ignored folder such as .venv/ (tens of thousands of entries in a real project).
    out = git(
        project,
        *("status", "--porcelain=v1", "-z", "--ignored=matching", "--no-renames"),
        *("--untracked-files=all", "--", "."),
    )
    # git status prints paths relative to the repository root; make them the project's.
    top = git(project, "rev-parse", "--show-prefix").decode().strip()
    found = []
    ignored_folders = []
    for entry in out.decode().split("\0"):
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        local = path[len(top) :] if top and path.startswith(top) else path
        if code == "!!" and local.endswith("/"):
            ignored_folders.append(local)
        elif local.endswith(".rej") or code in UNMERGED:
            found.append(local)
        elif code != "!!" and code[1] != "D" and code[0] != "D":
            file = project / local
            if file.is_file() and _has_markers(file):
                found.append(local)
    if ignored_folders:
        # A file committed inside an ignored folder may still get a `.rej` from Copier.
        tracked = git(project, "ls-files", "-z", "--", *ignored_folders).decode().split("\0")
        found += [f"{p}.rej" for p in tracked if p and (project / f"{p}.rej").is_file()]
    return sorted(set(found))


def _has_markers(path: Path) -> bool:
    content = path.read_bytes()
    if b"\0" in content[:8192]:
        return False
    return any(line.startswith(CONFLICT_PREFIXES) for line in content.splitlines())


def finish(ctx: Context) -> int:
    """After stage, every update: keep deleted edits, report conflicts, clean the state."""
    keep_deleted_edits(ctx)
    shutil.rmtree(ctx.state_dir, ignore_errors=True)
    report(ctx)
    conflicts = find_conflicts(ctx.project)
    if conflicts:
        print(
            "\nThe update left conflicts to resolve in these files:\n"
            + "".join(f"  {path}\n" for path in conflicts)
            + "Resolve them (remove the <<<<<<< ======= >>>>>>> markers, merge the .rej hunks "
            "by hand and delete the .rej files), then commit. See docs: updating.",
            file=sys.stderr,
        )
        return 1
    return 0


def check_answers(ctx: Context, overrides: dict[str, Any] | None = None) -> int:
    """Before stage, every update: refuse answers the new release would silently replace."""
    answers = read_answers(ctx.project / ctx.answers_file)
    problems = invalid_answers(answers, load_copier_config(ctx.template_root), overrides)
    if problems:
        print(
            "\nThese recorded answers are not valid for the new template version, and no "
            f"migration maps them; fix them in {ctx.answers_file} (or pass --data) and retry:\n"
            + "".join(f"  {p}\n" for p in problems),
            file=sys.stderr,
        )
        return 1
    return 0


def report(ctx: Context) -> None:
    for note in ctx.notes:
        print(f"berth migration: {note}", file=sys.stderr)
    ctx.notes.clear()


# ─── a release's migration ──────────────────────────────────────────────────


@dataclass
class Migration:
    """What one release changed; `run()` applies it for Copier's current stage.

    answers_renamed: {old question: new question}
    choices_mapped: {question: {old value: new value}}
    answers_dropped: questions the release removed
    files_moved: {old path: new path, or a list of new paths for a split}; paths may use
        answers as `{package_name}` (old answers for the old path, new ones for the new)

    A release's file defines `MIGRATION = Migration(...)` and calls `MIGRATION.run()` under
    `if __name__ == "__main__":`, so tests can read what it declares.
    """

    answers_renamed: dict[str, str] = field(default_factory=dict)
    choices_mapped: dict[str, dict[Any, Any]] = field(default_factory=dict)
    answers_dropped: list[str] = field(default_factory=list)
    files_moved: dict[str, str | list[str]] = field(default_factory=dict)

    def stages(self) -> set[str]:
        """The stages this migration has work in; its copier.yml entry runs in exactly these."""
        stages = set()
        if self.answers_renamed or self.choices_mapped or self.answers_dropped:
            stages.add("before")
        if self.files_moved:
            stages.update(("before", "after"))  # before: start the base render early
        return stages

    def apply(self, ctx: Context) -> None:
        if ctx.stage == "before":
            apply_answer_changes(
                ctx,
                renamed=self.answers_renamed,
                mapped=self.choices_mapped,
                dropped=self.answers_dropped,
            )
            if self.files_moved:
                start_base_render(ctx, self.files_moved)
        elif ctx.stage == "after" and self.files_moved:
            carry_moved_files(ctx, self.files_moved)
        report(ctx)

    def run(self) -> None:
        main(self.apply)


def main(step) -> None:
    """Run a step with Copier's context; a MigrationError becomes a one-line message."""
    try:
        status = step(Context.from_environment())
    except MigrationError as error:
        print(f"berth migration: {error}", file=sys.stderr)
        sys.exit(1)
    sys.exit(status or 0)


if __name__ == "__main__" and sys.argv[1:2] == ["render"]:
    # A background render started by Context.start_render: [answers file, JSON spec].
    spec = json.loads(sys.argv[3])
    Context(Path.cwd(), sys.argv[2], "before", "", "").render(
        spec["ref"], spec["answers"], spec["paths"], confirm=False
    )
