"""Copy-time tasks: what `copier copy` (and `copier recopy`) does in a new project.

Copier runs `python -m tasks DESTINATION ANSWERS_FILE` from the template's folder, with its
own Python (standard library and PyYAML only), so the command line it prints is one short
line without temporary paths. Every step is idempotent: a recopy changes nothing.

    env         the untracked .env: fresh secrets, and the ids the dev containers run as
    access      a project written by root: the containers' user gets read-write access (ACLs)
    repository  `git init` and a first commit authored by the answered author
"""
