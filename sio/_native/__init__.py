"""The performance-critical core of sioworkers, in C with thin bindings.

``supervise`` runs and supervises programs; helper executables built from
the same C sources live in ``bin/`` next to this file.
"""

import os

BIN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'bin')


def helper_path(name: str) -> str:
    """Absolute path of a helper executable shipped with the package.

    Raises FileNotFoundError naming the helper and where it was looked for
    when the package was installed without it.
    """
    path = os.path.join(BIN_DIR, name)
    if not os.access(path, os.X_OK):
        raise FileNotFoundError(
            f'native helper {name!r} not found at {path}; rebuild sioworkers '
            f'(pip install .) to build it')
    return path
