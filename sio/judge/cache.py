"""What sio-judge keeps between runs, so that a re-run judges only what
changed: compiled programs by the digest of everything that went into them
(source, compiler, arguments, headers, library files) and test results by
the digest of everything that decides them (the program, the input, the
expected output, the checker or interactor, the limits, the mode).

It lives in the package, in ``.cache/sio-judge/`` (sinol-make keeps its own
cache in ``.cache/`` too); ``sio-judge --fresh`` ignores and replaces it.
A result is kept only when it is a verdict: errors are always run again.
"""

import hashlib
import json
import logging
import os
import shutil
import tempfile

logger = logging.getLogger(__name__)

#: Bump when what a result means changes: old results are then not reused.
FORMAT = 1

_digests: dict[tuple, str] = {}


def file_digest(path: str) -> str:
    """SHA-256 of a file's contents (remembered by path, size and mtime for
    this process)."""
    st = os.stat(path)
    key = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
    digest = _digests.get(key)
    if digest is None:
        h = hashlib.sha256()
        with open(path, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''):
                h.update(chunk)
        digest = _digests[key] = h.hexdigest()
    return digest


class Cache:
    """``root``: the cache directory, or None for no cache (nothing kept)."""

    def __init__(self, root: str | None, fresh: bool = False):
        self.root = root
        self._results: dict[str, dict] = {}
        self._dirty = False
        if root is None:
            return
        os.makedirs(os.path.join(root, 'programs'), exist_ok=True)
        if not fresh:
            self._results = self._load()

    def digest(self, *parts) -> str:
        return hashlib.sha256(json.dumps([FORMAT, *parts], sort_keys=True,
                                         default=str).encode()).hexdigest()

    # -- programs --------------------------------------------------------

    def program(self, digest: str) -> tuple[str, dict] | None:
        if self.root is None:
            return None
        path = os.path.join(self.root, 'programs', digest)
        try:
            with open(path + '.json') as f:
                exec_info = json.load(f)
        except (OSError, ValueError):
            return None
        return (path, exec_info) if os.path.isfile(path) else None

    def keep_program(self, digest: str, path: str, exec_info: dict) -> str:
        """Keep the compiled ``path``; the path it is kept at."""
        if self.root is None:
            return path
        kept = os.path.join(self.root, 'programs', digest)
        shutil.copyfile(path, kept)
        os.chmod(kept, 0o755)
        _write_atomically(kept + '.json', json.dumps(exec_info))
        return kept

    # -- results ---------------------------------------------------------

    def result(self, digest: str) -> dict | None:
        return self._results.get(digest)

    def keep_result(self, digest: str, result: dict) -> None:
        if self.root is not None:
            self._results[digest] = dict(result)
            self._dirty = True

    def save(self) -> None:
        if self.root is None or not self._dirty:
            return
        _write_atomically(os.path.join(self.root, 'results.json'),
                          json.dumps({'format': FORMAT, 'results': self._results}))
        self._dirty = False

    def _load(self) -> dict:
        path = os.path.join(self.root, 'results.json')
        try:
            with open(path) as f:
                data = json.load(f)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            logger.warning('%s: unreadable (%s); judging everything again', path, exc)
            return {}
        if not isinstance(data, dict) or data.get('format') != FORMAT or \
                not isinstance(data.get('results'), dict):
            return {}
        return data['results']


def _write_atomically(path: str, text: str) -> None:
    fd, scratch = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.tmp-')
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(text)
        os.replace(scratch, path)
    except BaseException:
        os.unlink(scratch)
        raise
