"""Safe extraction of archives that come from outside (problem packages,
sandbox images): nothing may land outside the target directory, no links or
device files are created, and nothing already there is overwritten."""

import logging
import os
import shutil
import stat
import zipfile

logger = logging.getLogger(__name__)

#: The most an archive may unpack to, so a zip bomb fails instead of
#: filling the disk.
MAX_EXTRACTED_BYTES = 1 << 30


class ArchiveError(ValueError):
    """The archive cannot be extracted safely (or at all)."""


def safe_target(root: str, name: str) -> str | None:
    """Where member ``name`` goes under ``root``, or None when it would
    leave it (absolute names, ``..`` components, a path through a link)."""
    if not name or name.startswith('/') or '\0' in name:
        return None
    parts = [p for p in name.replace('\\', '/').split('/') if p not in ('', '.')]
    if not parts or any(p == '..' for p in parts):
        return None
    root = os.path.realpath(root)
    target = os.path.join(root, *parts)
    # A directory component that is a link (made earlier) could lead out.
    parent = os.path.realpath(os.path.dirname(target))
    if parent != root and not parent.startswith(root + os.sep):
        return None
    return target


def extract_zip(path: str, root: str, overwrite: bool = False) -> list[str]:
    """Extract the zip ``path`` into ``root``; members that would escape it,
    links, special files and (unless ``overwrite``) members that would
    replace an existing file are skipped with a warning. Returns the names
    extracted."""
    extracted = []
    total = 0
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f'{os.path.basename(path)} is not a readable zip archive: '
                           f'{exc}') from exc
    with archive:
        for info in archive.infolist():
            mode = info.external_attr >> 16
            if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                logger.warning('skipping %r in %s: not a regular file', info.filename, path)
                continue
            target = safe_target(root, info.filename)
            if target is None:
                logger.warning('skipping %r in %s: it would leave the directory',
                               info.filename, path)
                continue
            if info.is_dir():
                os.makedirs(target, exist_ok=True)
                continue
            if os.path.lexists(target) and not overwrite:
                logger.warning('skipping %r in %s: it would overwrite an existing file',
                               info.filename, path)
                continue
            total += info.file_size
            if total > MAX_EXTRACTED_BYTES:
                raise ArchiveError(f'{os.path.basename(path)} unpacks to more than '
                                   f'{MAX_EXTRACTED_BYTES} bytes')
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with archive.open(info) as src, open(target, 'wb') as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            extracted.append(info.filename)
    return extracted
