"""The steps of a migration: answer changes, moved files, deleted edits, the final checks."""

from __future__ import annotations

import shutil
import sys
from typing import Any

from berth_migrations.config import (
    invalid_answers,
    load_copier_config,
    migrate_answers,
    read_answers,
    write_answers,
)
from berth_migrations.context import Context
from berth_migrations.git import find_conflicts, head_contents, head_files, merge, read_bytes
from berth_migrations.renders import render, render_at_version, start_render


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
        root = render(ctx, ctx.version_from, old_answers, fresh)
        bases.update({source: read_bytes(root / source) for source in fresh})
    for carried in {carried for _, _, carried in plan if carried}:
        sources = [source for source, _, c in plan if c == carried]
        root = render_at_version(ctx, carried, new_answers, sources)
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
    target = render(ctx, ctx.version_to, new_answers, needed) if needed else None
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
                later = render_at_version(ctx, ctx.version_current, new_answers, [destination])
                theirs = read_bytes(later / destination)
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
    return bool(sources) and start_render(ctx, ctx.version_from, old_answers, sources)


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
    base_root = render(ctx, ctx.version_from, ctx.old_answers(), missing)
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


def finish(ctx: Context) -> int:
    """After stage, every update: keep deleted edits, report conflicts, clean the state."""
    keep_deleted_edits(ctx)
    shutil.rmtree(ctx.state_dir, ignore_errors=True)
    ctx.report()
    conflicts = find_conflicts(ctx.project)
    if conflicts:
        rejected = [path for path in conflicts if path.endswith(".rej")]
        print(
            "\nThe update left conflicts to resolve in these files:\n"
            + "".join(f"  {path}\n" for path in conflicts)
            + "Resolve them (remove the <<<<<<< ======= >>>>>>> markers, re-apply the .rej "
            "hunks and delete the .rej files), then commit. See docs: updating.",
            file=sys.stderr,
        )
        if rejected:
            print(
                "Each .rej file holds your edit that did not apply (its file now has the new "
                "release's text); `git diff HEAD -- FILE` shows what you had.",
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
