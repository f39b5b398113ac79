"""The committed example: a project rendered from the template with the defaults.

    uv run berth-example            # regenerate examples/demo-project from the working tree
    uv run berth-example --check    # list what differs (exit 1), change nothing

examples/demo-project is what `copier copy --defaults` makes into a folder named
demo-project (the project's name defaults to its folder's), so that every change to the
template shows its effect on generated code in the diff, and linters and reviewers read
real files. Three things differ from a user's copy, so that the example changes only when
the generated files do: `copyright_year` is fixed (the default is this year), the
dependency lock is left out (1 MB that includes/locks/ already holds), and the answers
file's `_commit` and `_src_path` name this repository's HEAD and place, not one machine's.
A fast test re-renders it and fails when it differs.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import tempfile
from pathlib import Path

import yaml

from berth_tools import ROOT
from berth_tools.git import git

EXAMPLE = ROOT / "examples" / "demo-project"
DATA = {"copyright_year": "2026"}
LEFT_OUT = ["/uv.lock"]
ANSWERS_FILE = ".copier-answers.yml"
NORMALISED = {"_commit": "HEAD", "_src_path": "../.."}  # the template, from the example


def render(destination: Path) -> Path:
    """The example, rendered from the working tree into `destination` (a new folder)."""
    from copier import run_copy

    run_copy(
        str(ROOT),
        destination,
        data=DATA,
        vcs_ref="HEAD",  # the working tree, not the latest release tag
        exclude=LEFT_OUT,
        defaults=True,
        unsafe=True,
        skip_tasks=True,
        quiet=True,
    )
    answers = destination / ANSWERS_FILE
    lines = answers.read_text().splitlines(keepends=True)
    answers.write_text("".join(normalised(line) for line in lines))
    return destination


def normalised(line: str) -> str:
    key = line.split(":", 1)[0]
    if key in NORMALISED:
        return f"{key}: {yaml.safe_dump(NORMALISED[key]).splitlines()[0]}\n"
    return line


def files(root: Path) -> dict[str, bytes]:
    """Every file of a render."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def example_files() -> dict[str, bytes]:
    """The example's files git would commit (not the caches tools leave, which it ignores)."""
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=EXAMPLE)
    names = [name for name in listed.split("\0") if name and (EXAMPLE / name).is_file()]
    return {name: (EXAMPLE / name).read_bytes() for name in names}


def differences(fresh: Path) -> list[str]:
    """What the example lacks, has too many of, or holds differently from a fresh render."""
    want, have = files(fresh), example_files()
    found = [f"missing: {path}" for path in sorted(want.keys() - have.keys())]
    found += [f"not rendered: {path}" for path in sorted(have.keys() - want.keys())]
    for path in sorted(want.keys() & have.keys()):
        if want[path] != have[path]:
            diff = difflib.unified_diff(
                have[path].decode(errors="replace").splitlines(),
                want[path].decode(errors="replace").splitlines(),
                f"examples/{EXAMPLE.name}/{path}",
                "rendered",
                lineterm="",
                n=1,
            )
            found.append("\n".join(list(diff)[:40]))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report differences, change nothing")
    check = parser.parse_args(argv).check
    with tempfile.TemporaryDirectory(dir=EXAMPLE.parent if not check else None) as tmp:
        fresh = render(Path(tmp) / EXAMPLE.name)
        if check:
            found = differences(fresh)
            print("\n".join(found) or f"{EXAMPLE.relative_to(ROOT)} is up to date")
            return 1 if found else 0
        # Written beside the example, then swapped in: never half-written.
        old = Path(tmp) / "previous"
        if EXAMPLE.exists():
            EXAMPLE.rename(old)
        fresh.rename(EXAMPLE)
        shutil.rmtree(old, ignore_errors=True)
    print(f"wrote {EXAMPLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
