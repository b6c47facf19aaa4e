"""Shared helpers of the benchmarks: building the C programs, interleaved
timing and a plain-text table."""

import os
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PROGRAMS = os.path.join(ROOT, 'tests', 'programs')


def build(name: str, out_dir: str) -> str:
    """Compile tests/programs/NAME.c statically into out_dir."""
    out = os.path.join(out_dir, name)
    subprocess.run(['gcc', '-O2', '-static', '-o', out, os.path.join(PROGRAMS, name + '.c')],
                   check=True)
    return out


def workdir() -> str:
    return tempfile.mkdtemp(prefix='sio-bench-')


def interleaved(variants: dict, rounds: int, warmup: int = 3) -> dict:
    """Run every variant once per round, rotating the order, and return the
    per-variant list of wall-clock seconds. Interleaving puts each variant
    under the same machine conditions as its baseline."""
    names = list(variants)
    for _ in range(warmup):
        for name in names:
            variants[name]()
    times = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            start = time.perf_counter()
            variants[name]()
            times[name].append(time.perf_counter() - start)
    return times


def truncating(out, run):
    """``run``, starting each call with the file ``out`` emptied (loops that
    write to a regular file, as judged programs do)."""
    def call():
        out.truncate(0)
        run()
    return call


#: Limits for the syscall loops: generous, so that only the mechanism costs.
LOOP_LIMITS = {'time_limit': 120_000, 'mem_limit': 64 * 1024, 'output_limit': 1 << 30}


def syscall_loop_times(executor, write_loop: str, mmap_loop: str, writes: int, maps: int,
                       rounds: int, out_path: str, extra: dict | None = None) -> dict:
    """Median seconds of the write loop (allowed syscalls) and the mmap loop
    (traced ones), each run directly and under ``executor``, interleaved:
    keys ``write direct``, ``write run``, ``mmap direct``, ``mmap run``, and
    ``extra``'s (name -> callable(out) run on the write loop's file). Writes
    go to a regular file opened for appending, the exec job's case."""
    out = open(out_path, 'ab')
    write = [write_loop, str(writes)]
    mmap = [mmap_loop, str(maps)]
    variants = {
        'write direct': truncating(out, lambda: subprocess.run(write, stdout=out)),
        'write run': truncating(out, lambda: executor(write, stdout=out, **LOOP_LIMITS)),
        'mmap direct': lambda: subprocess.run(mmap, stdout=out),
        'mmap run': lambda: executor(mmap, stdout=out, **LOOP_LIMITS),
    }
    for name, run in (extra or {}).items():
        variants[name] = truncating(out, lambda run=run: run(out))
    times = interleaved(variants, rounds, warmup=1)
    out.close()
    os.unlink(out_path)
    return {name: median(values) for name, values in times.items()}


def median(values):
    return statistics.median(values)


def table(headers, rows) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for i, row in enumerate(cells):
        lines.append('  '.join(c.rjust(w) if j else c.ljust(w)
                               for j, (c, w) in enumerate(zip(row, widths, strict=True))))
        if i == 0:
            lines.append('  '.join('-' * w for w in widths))
    return '\n'.join(lines)
