"""actions/checkout: fetch the repository into the workspace and check out the event's commit.

Like the real action: an existing checkout of the same repository is cleaned and reused
(`clean`), anything else in the folder is replaced; `fetch-depth` 1 fetches the one commit,
0 every branch and tag; a branch is checked out as a local branch, a tag or a commit
detached; `persist-credentials` keeps the token as an extra HTTP header in the repository's
config. The server is `GITHUB_SERVER_URL`: on this machine git is redirected from it to
local bare repositories (run_workflows.py sets `url.<local>.insteadOf`).
Not supported (the generated workflows use none): submodules, LFS, sparse checkout.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path

from common import fail, flag, read_input, run, set_output, workspace


def git(*args: str, cwd: Path, check: bool = True) -> str:
    if check:
        return run(["git", *args], cwd=cwd, capture_output=True, text=True).stdout.strip()
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else ""


def refspecs(ref: str, sha: str) -> tuple[list[str], list[str]]:
    """(what to fetch, what to check out) for a full ref name, a short name or a commit."""
    if ref.startswith("refs/heads/"):
        branch = ref.removeprefix("refs/heads/")
        source = sha or ref
        return [f"+{source}:refs/remotes/origin/{branch}"], [
            "-B",
            branch,
            f"refs/remotes/origin/{branch}",
        ]
    if ref.startswith("refs/tags/"):
        return [f"+{sha or ref}:{ref}"], [ref]
    if ref.startswith("refs/pull/"):
        target = f"refs/remotes/pull/{ref.removeprefix('refs/pull/')}"
        return [f"+{sha or ref}:{target}"], [target]
    if sha:
        return [sha], [sha]
    # A short name: a branch, else a tag (the real action asks the server the same way).
    return [f"+refs/heads/{ref}:refs/remotes/origin/{ref}", f"+refs/tags/{ref}:refs/tags/{ref}"], [
        ref
    ]


def main() -> None:
    repository = read_input("repository") or os.environ["GITHUB_REPOSITORY"]
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    url = f"{server}/{repository}"
    target = (workspace() / read_input("path", ".")).resolve()
    ref = read_input("ref")
    sha = ""
    if not ref and repository == os.environ.get("GITHUB_REPOSITORY"):
        ref, sha = os.environ.get("GITHUB_REF", ""), os.environ.get("GITHUB_SHA", "")
    if not ref and not sha:
        ref = "HEAD"
    if len(ref) == 40 and all(c in "0123456789abcdef" for c in ref):
        ref, sha = "", ref
    depth = int(read_input("fetch-depth", "1") or "1")

    target.mkdir(parents=True, exist_ok=True)
    same_repo = git("config", "--get", "remote.origin.url", cwd=target, check=False) == url
    if not same_repo or not (target / ".git").is_dir():
        for child in target.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        git("init", "--quiet", cwd=target)
        git("remote", "add", "origin", url, cwd=target)
    elif flag("clean", True):
        git("clean", "-ffdx", cwd=target)
        git("reset", "--hard", "--quiet", cwd=target, check=False)  # fails without a HEAD yet
    # The runner's git identity is not the user's; never prompt for one.
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}

    fetch = ["fetch", "--prune", "--no-recurse-submodules", "--progress"]
    wanted, checkout = refspecs(ref, sha)
    if depth <= 0:
        run(
            [
                "git",
                *fetch,
                "origin",
                "+refs/heads/*:refs/remotes/origin/*",
                "+refs/tags/*:refs/tags/*",
            ],
            cwd=target,
            env=env,
        )
        if sha and not ref:
            wanted = []
    else:
        fetch += ["--no-tags", f"--depth={depth}"]
    if flag("fetch-tags") and depth > 0:
        fetch.append("--tags")
    if wanted:
        run(["git", *fetch, "origin", *wanted], cwd=target, env=env)
    run(["git", "checkout", "--progress", "--force", *checkout], cwd=target, env=env)

    token = read_input("token")
    if flag("persist-credentials", True) and token:
        header = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        print(f"::add-mask::{header}", flush=True)
        git(
            "config",
            "--local",
            f"http.{server}/.extraheader",
            f"AUTHORIZATION: basic {header}",
            cwd=target,
        )
    commit = git("rev-parse", "HEAD", cwd=target)
    if sha and commit != sha:
        fail(f"checked out {commit}, expected {sha}")
    set_output("ref", ref)
    set_output("commit", commit)
    print(f"Checked out {repository} {ref or sha} at {commit}", flush=True)


if __name__ == "__main__":
    main()
