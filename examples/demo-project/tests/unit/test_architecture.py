"""The core stays pure: no file, network or tracking imports in feature, model or metric code."""

import ast
from pathlib import Path

import pytest

import demo_project

PACKAGE = Path(demo_project.__file__).parent
CORE_MODULES = ["features", "model", "metrics", "plots", "schema", "settings"]
FORBIDDEN = {
    "mlflow",
    "requests",
    "urllib",
    "os",
    "shutil",
    "pathlib",
    "tempfile",
    "io",
    "subprocess",
}
EDGE_MODULES = {"dataio", "tracking", "provenance", "cli", "logs"}


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_imports_no_io(module):
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                imported.add(node.module.split(".")[0])
            else:
                imported.add((node.module or "").split(".")[0])
    assert not imported & FORBIDDEN, f"{module} imports {imported & FORBIDDEN}"
    assert not imported & EDGE_MODULES, f"{module} imports edge modules {imported & EDGE_MODULES}"
