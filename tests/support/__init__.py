"""What Berth's tests and benchmarks share: running commands, environments, git, Docker,
versions, rendering the template, generated projects and `copier update` runs.

    commands      run(): a command with its output on failure and a time-out
    environments  environment(): uv, Copier and generated projects run as a user would
    git           git() and commit_all() with a fixed identity, for repositories we make
    docker        whether the docker CLI and an engine are here; skip or fail without them
    stack         a generated project's compose stack on the engine (the Docker tier's modules)
    versions      the versions HEAD would be released as, above every recorded release
    rendering     render(): the template's working tree, with answers
    projects      Project: a generated project, installed and driven like a user would
    updates       Copier versions run without a git identity; the real and synthetic histories
    benchmarks    benchmarks/run.py as the tests run it, and the table it prints
"""
