"""v0.3.0: the generated package gains its layers: core/, io/ and jobs/ under a thin cli.py.

The pure modules move to core/ (features, model, metrics, plots, schema), the edges to io/
(dataio.py becomes io/files.py; tracking, provenance, logs and logging.yaml keep their
names), and tests/integration/test_dataio.py becomes test_files.py. A user's edits to the
moved files are carried to their new place by a 3-way merge. cli.py, settings.py and the
tests that stay in place are merged by Copier itself; jobs/, records.py, io/params.py and
core/promotion.py are new files.
"""

from berth_migrations import Migration

PACKAGE = "src/{package_name}"
CORE = ("features", "model", "metrics", "plots", "schema")
EDGES = ("tracking.py", "provenance.py", "logs.py", "logging.yaml")

MIGRATION = Migration(
    files_moved={
        **{f"{PACKAGE}/{name}.py": f"{PACKAGE}/core/{name}.py" for name in CORE},
        f"{PACKAGE}/dataio.py": f"{PACKAGE}/io/files.py",
        **{f"{PACKAGE}/{name}": f"{PACKAGE}/io/{name}" for name in EDGES},
        "tests/integration/test_dataio.py": "tests/integration/test_files.py",
    },
)

if __name__ == "__main__":
    MIGRATION.run()
