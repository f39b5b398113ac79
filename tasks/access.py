"""Root wrote the project: make it writable for the dev containers' (non-root) user.

Copier run as root writes files that belong to root. Two cases (Linux only: Docker Desktop
on macOS and Windows maps ownership itself):

- The folder belongs to an ordinary user (`sudo copier copy` into a folder of yours): what
  root wrote is handed to that user, who is also the user the containers run as.
- The folder belongs to root (a VM or CI runner used as root): no owner changes, since git
  refuses a repository that belongs to another user and a chown would lock root out of its
  own repository. Every folder and file gets a POSIX ACL entry for the containers' user,
  giving it what the owner has, and every folder a default entry that files created later
  inherit, whoever creates them (root's git or editor on the host, the containers). `.env`
  stays root's alone. The ACLs are written as the kernel's extended attributes
  (`system.posix_acl_access`, `system.posix_acl_default`, laid out as in
  linux/posix_acl_xattr.h), so no `setfacl` is needed.

Running again changes nothing.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
import sys
from pathlib import Path

from tasks.env import Ids

ACCESS = "system.posix_acl_access"
DEFAULT = "system.posix_acl_default"
VERSION = 2
USER_OBJ, USER, GROUP_OBJ, GROUP, MASK, OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
UNDEFINED = 0xFFFFFFFF
USER_OBJ_KEY, MASK_KEY = (USER_OBJ, UNDEFINED), (MASK, UNDEFINED)
SKIPPED = {".env"}

Entries = dict[tuple[int, int], int]  # (tag, id) -> permission bits


def grant(project: Path, ids: Ids) -> int:
    """Let `ids` write to `project` when root wrote it; 0 on success."""
    if sys.platform != "linux" or os.geteuid() != 0 or ids.uid == 0:
        return 0
    if project.stat().st_uid != 0:
        for path in _paths(project, skipped=set()):
            os.chown(path, ids.uid, ids.gid, follow_symlinks=False)
        return 0
    try:
        for path in _paths(project, skipped=SKIPPED):
            _grant_one(path, ids.uid)
    except OSError as error:
        if error.errno not in (errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM):
            raise
        print(
            f"Warning: {project} cannot hold ACLs ({error.strerror}), so the dev containers "
            f"(uid {ids.uid}) cannot write to it: generate the project as an ordinary user.",
            file=sys.stderr,
        )
    return 0


def _paths(project: Path, skipped: set[str]):
    """The project, its folders and its files (no links), less `skipped` at its top."""
    yield project
    for folder, names, files in os.walk(project):
        for name in [*names, *files]:
            path = Path(folder, name)
            if path.parent == project and name in skipped:
                continue
            if stat.S_ISDIR(path.lstat().st_mode) or stat.S_ISREG(path.lstat().st_mode):
                yield path


def _grant_one(path: Path, uid: int) -> None:
    """`uid` gets what the owner has (folders: everything), here and, for a folder, by default."""
    mode = path.lstat().st_mode
    access = _read(path, ACCESS) or _from_mode(mode)
    folder = stat.S_ISDIR(mode)
    _write(path, ACCESS, _with_user(access, uid, 0o7 if folder else access[USER_OBJ_KEY]))
    if folder:
        default = _read(path, DEFAULT) or _from_mode(mode)
        _write(path, DEFAULT, _with_user(default, uid, 0o7))


def _from_mode(mode: int) -> Entries:
    return {
        USER_OBJ_KEY: (mode >> 6) & 0o7,
        (GROUP_OBJ, UNDEFINED): (mode >> 3) & 0o7,
        (OTHER, UNDEFINED): mode & 0o7,
    }


def _with_user(entries: Entries, uid: int, permissions: int) -> Entries:
    """The entries with `uid` allowed `permissions`, widening the mask only as far as needed.

    Entries that already allow them (as files created later inherit them) stay as they are.
    """
    mask = entries.get(MASK_KEY, entries[(GROUP_OBJ, UNDEFINED)])
    granted = entries.get((USER, uid), 0)
    if granted & mask & permissions == permissions:
        return entries
    return {**entries, (USER, uid): granted | permissions, MASK_KEY: mask | permissions}


def _read(path: Path, name: str) -> Entries | None:
    try:
        data = os.getxattr(path, name, follow_symlinks=False)
    except OSError as error:
        if error.errno == errno.ENODATA:
            return None
        raise
    (version,) = struct.unpack_from("<I", data)
    if version != VERSION:
        raise OSError(errno.EINVAL, f"unknown ACL layout {version}", str(path))
    entries: Entries = {}
    for offset in range(4, len(data), 8):
        tag, permissions, identifier = struct.unpack_from("<HHI", data, offset)
        entries[(tag, identifier)] = permissions
    return entries


def _write(path: Path, name: str, entries: Entries) -> None:
    """Entries sorted by tag, then id, as the kernel requires."""
    data = struct.pack("<I", VERSION) + b"".join(
        struct.pack("<HHI", tag, permissions, identifier)
        for (tag, identifier), permissions in sorted(entries.items())
    )
    if _read(path, name) != entries:
        os.setxattr(path, name, data, follow_symlinks=False)
