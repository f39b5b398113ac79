"""v0.2.0: the generated project's tests split into tests/unit/ and tests/integration/.

The pure-core tests (features, model, metrics, schema, settings, architecture) move to
tests/unit/, so `uv run pytest tests/unit` runs the fast ones alone; the tests of the edges
and of the CLI (cli, dataio) move to tests/integration/. A user's edits to the moved files
are carried to their new place by a 3-way merge. Docker, DVC, the quality gates and the
template-update workflow arrive as new files and need no migration.
"""

from berth_migrations import Migration

UNIT = ("features", "model", "metrics", "schema", "settings", "architecture")
INTEGRATION = ("cli", "dataio")

MIGRATION = Migration(
    files_moved={
        **{f"tests/test_{name}.py": f"tests/unit/test_{name}.py" for name in UNIT},
        **{f"tests/test_{name}.py": f"tests/integration/test_{name}.py" for name in INTEGRATION},
    },
)

if __name__ == "__main__":
    MIGRATION.run()
