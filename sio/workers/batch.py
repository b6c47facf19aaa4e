"""``sio-batch``: run one job from the shell.

The environ comes from the ``environ`` environment variable (JSON; a JSON
string holding JSON is accepted too) or from ``--environ-file FILE`` (``-``
is stdin). The result is printed to stdout between ``--- BEGIN ENVIRON ---``
and ``--- END ENVIRON ---`` and nothing else is: whatever jobs or libraries
write to stdout goes to stderr instead. Logging goes to stderr.

Options: ``--pretty`` prints the environ indented. Exit status: 0 when the
job ran (``result`` SUCCESS), 1 when its result is FAILURE (the environ is
printed all the same), 2 for bad input (one line on stderr). An environ
larger than ``SIO_BATCH_MAX_ENVIRON`` bytes (default 64 MiB) is bad input.
"""

import json
import logging
import os
import sys

USAGE = 'usage: sio-batch [JOB_TYPE] [--environ-file FILE|-] [--pretty]'
MAX_ENVIRON = 64 << 20
BEGIN = '--- BEGIN ENVIRON ---'
END = '--- END ENVIRON ---'


class UsageError(Exception):
    pass


def _parse_args(argv: list[str]) -> tuple[str | None, str | None, bool]:
    job_type = None
    environ_file = None
    pretty = False
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg in ('-h', '--help'):
            raise SystemExit(_help())
        if arg == '--pretty':
            pretty = True
            continue
        if arg == '--environ-file' or arg.startswith('--environ-file='):
            if environ_file is not None:
                raise UsageError('--environ-file given twice')
            if '=' in arg:
                environ_file = arg.split('=', 1)[1]
            elif args:
                environ_file = args.pop(0)
            else:
                raise UsageError('--environ-file needs a FILE (or - for stdin)')
        elif arg.startswith('-') and arg != '-':
            raise UsageError(f'unknown option {arg!r}')
        elif job_type is None:
            job_type = arg
        else:
            raise UsageError(f'unexpected argument {arg!r}')
    return job_type, environ_file, pretty


def _help() -> int:
    sys.stdout.write(USAGE + '\n' + (__doc__ or ''))
    return 0


def _read_capped(stream, name: str) -> str:
    limit = int(os.environ.get('SIO_BATCH_MAX_ENVIRON', MAX_ENVIRON))
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise UsageError(f'{name} holds more than {limit} bytes: not an environ '
                         f'(SIO_BATCH_MAX_ENVIRON raises the cap)')
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError as exc:
        raise UsageError(f'{name} is not UTF-8 text (byte {exc.start}): not a JSON '
                         f'environ') from None


def _read_environ(environ_file: str | None) -> dict:
    if environ_file is not None:
        try:
            if environ_file == '-':
                text = _read_capped(sys.stdin.buffer, 'stdin')
            else:
                with open(environ_file, 'rb') as f:
                    text = _read_capped(f, environ_file)
        except OSError as exc:
            raise UsageError(f'cannot read {environ_file}: {exc.strerror}') from None
        source = 'stdin' if environ_file == '-' else environ_file
    else:
        if 'environ' not in os.environ:
            raise UsageError('no environ: set the environ variable to a JSON object '
                             'or use --environ-file')
        text = os.environ['environ']
        source = 'the environ variable'
    try:
        value = json.loads(text)
        if isinstance(value, str):
            value = json.loads(value)
    except json.JSONDecodeError as exc:
        raise UsageError(f'invalid JSON in {source}: {exc}') from None
    if not isinstance(value, dict):
        raise UsageError(f'{source} must hold a JSON object, not {type(value).__name__}')
    return value


def _add_filters(environ: dict) -> None:
    for key in ('prefilters', 'postfilters'):
        extra = os.environ.get(key, '').split()
        if extra:
            current = environ.get(key) or []
            if isinstance(current, str):
                current = current.split()
            environ[key] = list(current) + extra


def _jsonable(value):
    if isinstance(value, bytes):
        return value.decode('utf-8', errors='replace')
    if isinstance(value, (set, tuple)):
        return list(value)
    return repr(value)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        job_type, environ_file, pretty = _parse_args(argv)
        environ = _read_environ(environ_file)
    except UsageError as exc:
        sys.stderr.write(f'sio-batch: {exc}\n')
        return 2
    if job_type:
        environ['job_type'] = job_type
    _add_filters(environ)
    logging.basicConfig(
        level=logging.DEBUG if environ.get('debug') else logging.INFO,
        stream=sys.stderr, format='%(asctime)s %(levelname)s %(name)s: %(message)s')

    # Keep stdout for the result alone: anything else writing to fd 1
    # (jobs, libraries, child processes) lands on stderr.
    sys.stdout.flush()
    result_fd = os.dup(1)
    os.dup2(2, 1)
    try:
        from sio.workers.runner import run_reporting_errors

        result = run_reporting_errors(environ)
    finally:
        sys.stdout.flush()
    text = json.dumps(result, default=_jsonable, indent=2 if pretty else None)
    with os.fdopen(result_fd, 'w', encoding='utf-8') as out:
        out.write(f'{BEGIN}\n{text}\n{END}\n')
    return 0 if result.get('result') == 'SUCCESS' else 1


if __name__ == '__main__':
    sys.exit(main())
