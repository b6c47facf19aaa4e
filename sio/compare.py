"""The default output comparator, as a command (a drop-in for SIO2's).

    sio-compare HINT OUT [FORMAT]        (exec-sandbox ``compare`` form)
    sio-compare IN OUT HINT [FORMAT]     (checker form)

(``python -m sio.compare`` is the same.)

Compares the tokens of OUT with those of HINT, ignoring how whitespace is
laid out. Prints ``OK``, or ``WRONG`` and a line naming the first place they
differ. With FORMAT (a ``checker_format``: english_abbreviated,
english_full, english_terse, polish_abbreviated, polish_full,
polish_terse), as oicompare 1.0.2 (what upstream's exec jobs and OIOIOI
check with) compares and prints: newlines are tokens too (a line break
where a space was is wrong; newlines before the end of a file are not),
white space is space, tab, vertical tab, CR and NUL, and the one line it
prints (``WRONG: line 3: expected "42", got "43"``) abbreviates a long word
around its first difference exactly as oicompare does. Exits 0 either way;
2 for bad arguments. A file that cannot be read: a one-line message on
stderr and exit status 2. The work is done in C (``sio/_native/compare.c``),
streaming both files in constant memory.
"""

import sys

from sio._native.compare_binding import CHECKER_FORMATS, CompareError, compare_files

__all__ = ['CHECKER_FORMATS', 'CompareError', 'compare_files', 'main']

USAGE = ('usage: sio-compare HINT OUT [FORMAT] | IN OUT HINT [FORMAT]\n'
         f'FORMAT: {", ".join(CHECKER_FORMATS)}\n')


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ('-h', '--help'):
        sys.stdout.write(__doc__.split('\n\n', 1)[1])
        return 0
    checker_format = None
    if len(args) in (3, 4) and args[-1] in CHECKER_FORMATS:
        checker_format = args.pop()
    if len(args) == 2:
        hint, out = args
    elif len(args) == 3:
        _, out, hint = args
    else:
        sys.stderr.write(USAGE)
        return 2
    try:
        same, message = compare_files(hint, out, checker_format)
    except CompareError as exc:
        sys.stderr.write(f'compare: {exc}\n')
        return 2
    if same:
        sys.stdout.write('OK\n')
    elif checker_format:
        sys.stdout.write(f'{message}\n')
    else:
        sys.stdout.write(f'WRONG\n{message}\n')
    sys.stdout.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main())
