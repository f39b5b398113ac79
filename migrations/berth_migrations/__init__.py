"""Berth's migrations: what `copier update` runs between the template's releases.

Copier runs each migration as `{{ _copier_python }} migrations/<file>.py <answers file>` in
the project's folder, with STAGE ("before" or "after") and the VERSION_* variables in the
environment. Python looks for imports in the script's own folder first, so
`import berth_migrations` finds this package in the template checkout Copier made. `before` runs after Copier has rendered
the old release into a temporary folder and before it renders the new one; `after` runs
once the update is applied.

Split the way Copier splits itself:

    errors     MigrationError: a problem the user must fix, printed as one line
    git        the project's committed files, 3-way merges, conflicts an update left
    config     copier.yml (with its includes) and the answers file
    context    what Copier tells a migration, and the update's state folder
    renders    renders of a release (cached for the update, or started in the background)
    steps      answer changes, moved files, deleted edits, the every-update checks
    migration  `Migration`, a release's declaration, and the scripts' entry points

Everything is idempotent (running a step twice changes nothing the second time) and needs
no git identity (only `git show`, `git ls-tree`, `git status` and `git merge-file`). Only
the standard library, PyYAML and Copier are used: they are what Copier's Python has.
"""

from berth_migrations.context import Context
from berth_migrations.errors import MigrationError
from berth_migrations.migration import Migration, every_update, main

__all__ = ["Context", "Migration", "MigrationError", "every_update", "main"]
