"""The layers hold as the project grows: a pure core, I/O at the edges, jobs on top, a thin CLI.

What each part may import from the package (ALLOWED below):
cli -> jobs, settings, errors (and io.params, io.logs, to set itself up); jobs -> core, io,
settings, records, errors; io -> settings, records, errors; records -> core, errors;
settings -> errors; core -> errors. core, settings and records are pure: no I/O library,
no call that touches a file (settings name paths, and that is all). A module of your own
outside these parts is yours to arrange; give it a row in ALLOWED to hold it to a layer.
"""

import ast
from pathlib import Path

import pytest

import demo_project

PACKAGE = Path(demo_project.__file__).parent
MODULES = sorted(
    ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    for path in PACKAGE.rglob("*.py")
    if path.name not in {"__init__.py", "__main__.py"}
)
# What each part of the package may import from the package itself.
ALLOWED = {
    "cli": {"jobs", "settings", "errors", "io.params", "io.logs", "io.console"},
    "jobs": {"jobs", "core", "io", "settings", "records", "errors"},
    "io": {"io", "settings", "records", "errors"},
    "records": {"core", "errors"},
    "settings": {"errors"},
    "core": {"core", "errors"},
    "errors": set(),
}
PURE = ("core", "settings", "records", "errors")
# Libraries that reach files, processes, the network or MLflow: never in pure code.
IO_LIBRARIES = {"mlflow", "requests", "urllib", "http", "socket", "os", "shutil", "tempfile"}
IO_LIBRARIES |= {"io", "subprocess", "sqlite3", "yaml", "fastparquet", "click"}
# Calls that touch files (besides any read_* and write_*): Path methods, pandas, matplotlib.
TOUCHES_FILES = {"open", "exists", "is_file", "is_dir", "iterdir", "glob", "rglob", "stat"}
TOUCHES_FILES |= {"lstat", "mkdir", "rmdir", "unlink", "touch", "chmod", "resolve", "samefile"}
TOUCHES_FILES |= {"cwd", "home", "expanduser", "savefig", "to_csv", "to_parquet", "to_json"}


def tree(module: str) -> ast.Module:
    return ast.parse((PACKAGE / Path(*module.split("."))).with_suffix(".py").read_text())


def imports(module: str) -> tuple[set[str], set[str]]:
    """(libraries imported, modules of this package imported), relative imports resolved."""
    libraries, own = set(), set()
    package = module.split(".")[:-1]
    for node in ast.walk(tree(module)):
        if isinstance(node, ast.Import):
            libraries.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            name = node.module.split(".")
            if name[0] == "demo_project":
                own.update(".".join([*name[1:], alias.name]) for alias in node.names)
            else:
                libraries.add(name[0])
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] + (node.module or "").split(".")
            own.update(".".join([*filter(None, base), alias.name]) for alias in node.names)
    return libraries, own


def part(module: str) -> str:
    return module.split(".")[0]


def allowed(target: str, rules: set[str]) -> bool:
    """`target` (a module or a name in one) falls under one of `rules`."""
    return any(target == rule or target.startswith(f"{rule}.") for rule in rules)


@pytest.mark.parametrize("module", [m for m in MODULES if part(m) in ALLOWED])
def test_each_part_imports_only_the_layers_below_it(module):
    _, own = imports(module)
    refused = {target for target in own if not allowed(target, ALLOWED[part(module)])}
    assert not refused, f"{module} imports {sorted(refused)}"


@pytest.mark.parametrize("module", [m for m in MODULES if part(m) in PURE])
def test_pure_code_imports_no_io_library(module):
    libraries, _ = imports(module)
    found = libraries & IO_LIBRARIES
    if part(module) == "core":
        found |= libraries & {"pathlib"}
    assert not found, f"{module} imports {sorted(found)}"


def touches_files(call: ast.Call) -> bool:
    function = call.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
    return name in TOUCHES_FILES or name.startswith(("read_", "write_"))


@pytest.mark.parametrize("module", [m for m in MODULES if part(m) in PURE])
def test_pure_code_never_touches_a_file(module):
    calls = [node for node in ast.walk(tree(module)) if isinstance(node, ast.Call)]
    touching = sorted({ast.unparse(call.func) for call in calls if touches_files(call)})
    assert not touching, f"{module} calls {touching}"


@pytest.mark.parametrize("module", [m for m in MODULES if part(m) == "jobs"])
def test_jobs_leave_the_command_line_to_the_cli(module):
    libraries, _ = imports(module)
    assert "click" not in libraries
