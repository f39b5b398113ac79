#!/bin/sh
# Entrypoint of the dev image (the `jupyter` and `bash` services): before running the
# command, check that this container's user can write to the project mounted at /workspace
# and to its folders; if not, stop with one line saying what to run on the host.
set -eu

workspace=/workspace
me=$(id -u)
my_group=$(id -g)

for folder in "$workspace" "$workspace"/*/ "$workspace"/.[!.]*/; do
    [ -d "$folder" ] || continue
    case $folder in "$workspace"/.venv/) continue ;; esac # your host's environment, unused here
    [ -w "$folder" ] && continue
    owner=$(stat -c %u "$folder")
    if [ "$folder" = "$workspace" ] && [ "$owner" = 0 ]; then
        fix="the project belongs to root: as root, run 'setfacl -R -m u:$me:rwX,d:u:$me:rwX .' in it on the host (package acl)"
    elif [ "$folder" = "$workspace" ] && [ "$owner" != "$me" ]; then
        fix="the project belongs to uid $owner: set HOST_UID=$owner and HOST_GID=$(stat -c %g "$folder") in .env, then run 'docker compose build'"
    else
        relative=${folder#"$workspace"}
        relative=${relative#/}
        relative=${relative%/}
        [ "$owner" = "$me" ] && command="chmod -R u+w" || command="sudo chown -R $me:$my_group"
        fix="run '$command ${relative:-.}' in the project on the host"
    fi
    echo "Error: uid $me cannot write to ${folder%/}: $fix." >&2
    exit 1
done

exec "$@"
