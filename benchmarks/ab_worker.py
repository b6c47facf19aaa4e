"""One side of ``before_after.py``: runs under whichever ``sio`` package
PYTHONPATH names (a checkout of an earlier revision, or this one).

Reads a number of rounds per line from stdin; for each line runs that many
rounds of every variant in rotating order and prints the per-run seconds
as one JSON object. Uses only API every revision since the first wave has.
"""

import json
import os
import subprocess
import sys
import time

from sio.workers.executors import (
    DetailedUnprotectedExecutor,
    Sio2JailExecutor,
    SupervisedExecutor,
)
from sio.workers.util import TemporaryCwd


def main() -> None:
    tiny = sys.argv[1]
    devnull = open(os.devnull, 'wb')
    detailed, supervised = DetailedUnprotectedExecutor(), SupervisedExecutor()
    jail = Sio2JailExecutor()
    variants = {
        'subprocess.run': lambda: subprocess.run([tiny], stdout=devnull),
        'DetailedUnprotectedExecutor': lambda: detailed([tiny], stdout=devnull),
        'SupervisedExecutor': lambda: supervised([tiny], stdout=devnull),
        'Sio2JailExecutor': lambda: jail([tiny], stdout=devnull),
    }
    names = list(variants)
    with TemporaryCwd():
        for name in names:  # warm-up: imports, caches, kept namespaces
            variants[name]()
        for line in sys.stdin:
            rounds = int(line)
            times = {name: [] for name in names}
            for r in range(rounds):
                for name in names[r % len(names):] + names[:r % len(names)]:
                    start = time.perf_counter()
                    variants[name]()
                    times[name].append(time.perf_counter() - start)
            print(json.dumps(times), flush=True)


if __name__ == '__main__':
    main()
