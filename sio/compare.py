"""The default output comparator, as a command (a drop-in for SIO2's).

    python -m sio.compare HINT OUT          (exec-sandbox ``compare`` form)
    python -m sio.compare IN OUT HINT       (checker form)

Compares the tokens of OUT with those of HINT, ignoring how whitespace is
laid out. Prints ``OK``, or ``WRONG`` and a line naming the first place they
differ; exits 0 either way. A file that cannot be read: a one-line message
on stderr and exit status 2. The work is done in C (``sio/_native/compare.c``),
streaming both files in constant memory.
"""

import sys

from sio._native.compare_binding import CompareError, compare_files

__all__ = ['CompareError', 'compare_files', 'main']


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2:
        hint, out = args
    elif len(args) == 3:
        _, out, hint = args
    else:
        sys.stderr.write('usage: python -m sio.compare HINT OUT | IN OUT HINT\n')
        return 1
    try:
        same, message = compare_files(hint, out)
    except CompareError as exc:
        sys.stderr.write(f'compare: {exc}\n')
        return 2
    sys.stdout.write('OK\n' if same else f'WRONG\n{message}\n')
    sys.stdout.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main())
