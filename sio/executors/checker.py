"""Output checking for the exec-family jobs.

With ``chk_file`` a custom checker runs as ``chk IN OUT HINT`` and answers
on stdout:

* line 1: ``OK`` for an accepted answer (anything else is a wrong answer);
* line 2: a comment, shown as ``result_string`` (cut to 1024 bytes);
* line 3: the score as a percentage: an integer, a decimal or a fraction,
  anything :class:`fractions.Fraction` reads (empty: 100).

An exit code of 2 or more, a crash, a time or memory limit hit or an
unreadable score is a failure of the checker, and so of the job (never a
verdict). A checker writing more than its output limit is stopped there and
judged on what it wrote first.

Without ``chk_file`` and with sandboxes off (``unsafe-exec``, or
``use_sandboxes: false``) the output is compared as upstream does there,
with ``diff -b -q`` (amounts of white space ignored, lines kept; a wrong
answer has an empty comment). Otherwise the native comparator compares
tokens with the hint, as oicompare does;
``checker_format`` (``english_abbreviated`` by default, ``english_full``,
``english_terse``, ``polish_abbreviated``, ``polish_full``,
``polish_terse``, as oicompare has them) chooses the language and form of
its ``result_string`` for a wrong answer, e.g. ``WRONG: line 3: expected
"42", got "43"``.

Keys: ``hint_file``, ``chk_file``, ``untrusted_checker`` (run the checker
isolated when sandboxes are on), ``checker_mem_limit`` (KiB, default
256 MiB), ``checker_time_limit`` (ms, default 30 s),
``checker_real_time_limit`` (ms), ``checker_output_limit`` (bytes, 1 MiB).
Writes ``result_code`` (``OK``/``WA``), ``result_string`` and
``result_percentage`` as (numerator, denominator).
"""

import logging
from fractions import Fraction

from sio.compare import CompareError, compare_files
from sio.workers import Failure, ft, jobfiles
from sio.workers import limits as run_limits
from sio.workers.environ import decode_output, truncate_bytes
from sio.workers.executors import DetailedUnprotectedExecutor
from sio.workers.jobdir import tempcwd

logger = logging.getLogger(__name__)

RESULT_STRING_LENGTH_LIMIT = 1024
DEFAULT_CHECKER_FORMAT = 'english_abbreviated'
DEFAULT_CHECKER_MEM_LIMIT = run_limits.DEFAULTS['checker'].mem_limit_kib
DEFAULT_CHECKER_TIME_LIMIT = run_limits.DEFAULTS['checker'].time_limit_ms
DEFAULT_CHECKER_OUTPUT_LIMIT = run_limits.DEFAULTS['checker'].output_limit_bytes


class CheckerError(Failure, SystemError):
    """The checker is broken: it crashed, hit a limit or answered nonsense.
    A :class:`SystemError` too, which is what upstream raises for a checker
    exiting with 2 or more (callers catch it by that name)."""


def output_to_fraction(text: str | bytes) -> tuple[int, int]:
    """The checker's score line as (numerator, denominator); '' is 100."""
    if isinstance(text, bytes):
        text = text.decode('utf-8', errors='replace')
    if not text.strip():
        return 100, 1
    try:
        value = Fraction(text)
    except ValueError:
        raise CheckerError(f'invalid score from the checker: {text!r} (expected an '
                           f'integer, a decimal or a fraction)') from None
    except ZeroDivisionError:
        raise CheckerError(f'invalid score from the checker: {text!r} (zero '
                           f'denominator)') from None
    return value.numerator, value.denominator


def limit_length(text: bytes) -> bytes:
    return truncate_bytes(text, RESULT_STRING_LENGTH_LIMIT, b'[...]')


def _checker_executor(environ: dict, use_sandboxes: bool):
    if environ.get('untrusted_checker') and use_sandboxes:
        from sio.workers.executors import isolated_checker_executor

        return isolated_checker_executor()
    return DetailedUnprotectedExecutor()


def run_checker(environ: dict, use_sandboxes: bool) -> list[bytes]:
    """Run the custom checker; its stdout lines."""
    ft.download(environ, 'chk_file', 'chk', add_to_cache=True)
    jobfiles.chmod_regular(tempcwd('chk'), 0o555)
    executor = _checker_executor(environ, use_sandboxes)
    limits = run_limits.read(environ, 'checker')
    with executor:
        renv = executor(
            [tempcwd('chk'), tempcwd('in'), tempcwd('out'), tempcwd('hint')],
            capture_output=True, split_lines=True, ignore_errors=True,
            limits=limits)
    lines = renv.get('stdout') or []
    code = renv.get('result_code', 'OK')
    if code == 'OLE' and lines:
        # Its answer comes first; what follows is a comment cut anyway.
        logger.warning('checker output cut at %s bytes', limits.output_limit_bytes)
        return lines
    if code not in ('OK', 'RE') or renv['return_code'] >= 2:
        shown = b'\n'.join(lines[:3]).decode('utf-8', errors='replace')
        raise CheckerError(f'checker failed: {renv.get("result_string", "")} (exit status '
                           f'{renv["return_code"]}); its output: {shown[:500]!r}')
    return lines


def run_diff(environ: dict) -> list[bytes]:
    """Upstream's comparison without sandboxes (``unsafe-exec``): ``diff -b
    -q out hint``, whose rules (amounts of white space ignored, lines kept)
    differ from the token comparator's; a wrong answer has no comment."""
    limits = run_limits.read(environ, 'checker').replace(output_limit_bytes=None)
    with DetailedUnprotectedExecutor() as executor:
        renv = executor(
            ['diff', '-b', '-q', tempcwd('out'), tempcwd('hint')], ignore_errors=True,
            limits=limits)
    if renv['result_code'] in ('OK', 'RE') and renv['return_code'] in (0, 1):
        return [b'OK'] if renv['return_code'] == 0 else [b'WA']
    raise CheckerError(f'diff failed: {renv.get("result_string", "")} (exit status '
                       f'{renv["return_code"]})')


def run(environ: dict, use_sandboxes: bool = True) -> dict:
    """Check ``out`` in the job directory; set the verdict in ``environ``."""
    ft.download(environ, 'hint_file', 'hint', add_to_cache=True)
    # The program that wrote it may have left anything there; read only
    # the regular file it was given (a FIFO would hang the comparison).
    jobfiles.check_regular(tempcwd('out'))
    if environ.get('chk_file'):
        output = run_checker(environ, use_sandboxes)
    elif not use_sandboxes:
        output = run_diff(environ)
    else:
        checker_format = environ.get('checker_format') or DEFAULT_CHECKER_FORMAT
        try:
            same, message = compare_files(tempcwd('hint'), tempcwd('out'), checker_format)
        except CompareError as exc:
            raise CheckerError(f'cannot compare the output: {exc}') from exc
        except ValueError as exc:
            raise Failure(f"environ['checker_format']: {exc}") from exc
        output = [b'OK'] if same else [b'WRONG', message.encode()]
    return apply_verdict(environ, output)


def apply_verdict(target: dict, output: list) -> dict:
    """A checker's (or an interactor's) answer — lines ``OK``/other, comment,
    score — as ``result_code``, ``result_string`` and ``result_percentage``
    of ``target``."""
    output = list(output) + [b''] * (3 - len(output))
    verdict, comment, score = output[0].strip(), output[1].rstrip(b'\r'), output[2]
    if verdict == b'OK':
        target['result_code'] = 'OK'
        if comment:
            target['result_string'] = decode_output(limit_length(comment))
        target['result_percentage'] = output_to_fraction(score)
    else:
        target['result_code'] = 'WA'
        # As upstream: the comment as it is, empty when there is none.
        target['result_string'] = decode_output(limit_length(comment))
        target['result_percentage'] = (0, 1)
    return target
