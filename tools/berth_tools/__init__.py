"""Berth's maintainer tooling: the options manifest, the answer matrix, locks, releases,
the example project and the pre-commit stand-ins.

Installed (editable) into the development environment by `uv sync`, with its command-line
entry points (`berth-releases`, `berth-relock`, `berth-example`, `berth-hooks`,
`berth-reserved-names`; see docs/contributing.md). The migrations' own package,
`berth_migrations`, is the only code that runs on users' machines.
"""

from berth_migrations.config import TEMPLATE_ROOT

ROOT = TEMPLATE_ROOT  # this repository


class ToolError(Exception):
    """A problem the maintainer must fix; the commands print it as one line."""


__all__ = ["ROOT", "ToolError"]
