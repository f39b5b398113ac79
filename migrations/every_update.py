"""Checks every `copier update` runs, after the release migrations (unversioned on purpose).

    check-answers (before stage): refuse recorded answers the new release would silently
        replace by a default (a removed choice or question that no migration maps).
    finish (after stage): keep files the release deleted although the user had edited them,
        then exit non-zero listing every file left with conflict markers or a `.rej` file.

Both are idempotent: they only read, or restore what the user committed.
"""

from berth_migrations import every_update

if __name__ == "__main__":
    every_update()
