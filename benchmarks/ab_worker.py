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

from sio.workers.executors import (
    DetailedUnprotectedExecutor,
    Sio2JailExecutor,
    SupervisedExecutor,
)
from sio.workers.util import TemporaryCwd

# This script's folder (the benchmarks of this checkout) is first on
# sys.path: the timing loop is the one every benchmark uses.
from common import interleaved


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
    with TemporaryCwd():
        # Warm-up (imports, caches, kept namespaces) with the first batch.
        warmup = 3
        for line in sys.stdin:
            print(json.dumps(interleaved(variants, int(line), warmup=warmup)), flush=True)
            warmup = 0


if __name__ == '__main__':
    main()
