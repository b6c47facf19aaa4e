"""The native comparator: the binding, ``python -m sio.compare`` and the
standalone ``compare`` binary agree on every case."""

import os
import subprocess
import sys

import pytest

from sio._native import helper_path
from sio.compare import CompareError, compare_files


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


SAME = [
    (b'', b''),
    (b'', b' \n\n\t '),
    (b'   \n', b''),
    (b'1 2 3\n', b'1 2 3'),
    (b'1 2 3\n', b'1\n2\n3\n\n\n'),
    (b'1 2\r\n3\r\n', b'1 2\n3\n'),
    (b'a\0b 7\n', b'a\0b   7'),
    (b'x' * 100000 + b'\n', b'x' * 100000),
    (b'\xff\xfe binary\n', b'\xff\xfe  binary'),
]

DIFFERENT = [
    (b'1 2 3\n', b'1 2 4\n', 'line 1: expected "3", found "4"'),
    (b'1\n2\n3\n', b'1\n2\n', 'line 3: expected "3", found end of file'),
    (b'1\n2\n', b'1\n2\n3\n', 'line 3: expected end of file, found "3"'),
    (b'12\n', b'1 2\n', 'line 1: expected "12", found "1"'),
    (b'1 2\n', b'12\n', 'line 1: expected "1", found "12"'),
    (b'', b'x', 'line 1: expected end of file, found "x"'),
    (b'a\0b\n', b'a\0c\n', 'line 1: expected "a\\x00b", found "a\\x00c"'),
    (b'1\r\n2\r\n3\r\n', b'1\n2\n4\n', 'line 3: expected "3", found "4"'),
]


@pytest.mark.parametrize('expected, found', SAME)
def test_same_tokens(tmp_path, expected, found):
    assert compare_files(write(tmp_path, 'h', expected), write(tmp_path, 'o', found)) == \
        (True, '')


@pytest.mark.parametrize('expected, found, message', DIFFERENT)
def test_different_tokens(tmp_path, expected, found, message):
    same, text = compare_files(write(tmp_path, 'h', expected), write(tmp_path, 'o', found))
    assert not same
    assert text == message


def test_long_tokens_are_shortened(tmp_path):
    expected = b'A' * 5_000_000 + b'B\n'
    found = b'A' * 5_000_000 + b'C\n'
    same, text = compare_files(write(tmp_path, 'h', expected), write(tmp_path, 'o', found))
    assert not same
    assert text.startswith('line 1: expected "...')
    assert len(text) < 200


def test_difference_right_after_a_buffer_boundary(tmp_path):
    block = b'123456789 ' * 104857 + b'12\n'  # crosses the 1 MiB buffer
    same, text = compare_files(write(tmp_path, 'h', block + b'77 88\n'),
                               write(tmp_path, 'o', block + b'77 89\n'))
    assert (same, text) == (False, 'line 2: expected "88", found "89"')


def test_unreadable_file(tmp_path):
    with pytest.raises(CompareError, match='nope'):
        compare_files(str(tmp_path / 'nope'), write(tmp_path, 'o', b'1'))
    with pytest.raises(CompareError, match='Is a directory'):
        compare_files(str(tmp_path), write(tmp_path, 'o', b'1'))


@pytest.fixture(params=['module', 'binary'])
def command(request):
    if request.param == 'module':
        return [sys.executable, '-m', 'sio.compare']
    return [helper_path('compare')]


def test_command_forms(tmp_path, command):
    hint = write(tmp_path, 'hint', b'1 2\n')
    good = write(tmp_path, 'good', b'1   2')
    bad = write(tmp_path, 'bad', b'1 3')
    infile = write(tmp_path, 'in', b'whatever')
    run = lambda *a: subprocess.run(command + list(a), capture_output=True, timeout=30)  # noqa: E731
    assert run(hint, good).stdout == b'OK\n'
    assert run(hint, bad).stdout == b'WRONG\nline 1: expected "2", found "3"\n'
    assert run(infile, good, hint).stdout == b'OK\n'
    assert run(infile, bad, hint).returncode == 0
    missing = run(hint, str(tmp_path / 'missing'))
    assert missing.returncode == 2 and missing.stdout == b''
    assert len(missing.stderr.splitlines()) == 1 and b'missing' in missing.stderr
    assert run(hint).returncode == 2  # bad arguments, as every command


def test_module_takes_a_checker_format(tmp_path):
    import sys
    hint = write(tmp_path, 'hint', b'1 2\n')
    bad = write(tmp_path, 'bad', b'1 3')
    infile = write(tmp_path, 'in', b'x')
    run = lambda *a: subprocess.run([sys.executable, '-m', 'sio.compare', *a],  # noqa: E731
                                    capture_output=True, timeout=30)
    assert run(hint, bad, 'english_abbreviated').stdout == \
        b'WRONG: line 1: expected "2", got "3"\n'
    assert run(infile, bad, hint, 'polish_terse').stdout == '\u0179LE\n'.encode()
    assert run(hint, hint, 'english_full').stdout == b'OK\n'
    long_hint = write(tmp_path, 'long_hint', b'x' * 300 + b'Q' + b'z' * 300)
    long_out = write(tmp_path, 'long_out', b'x' * 300 + b'Y\x01' + b'z' * 300)
    abbreviated = run(long_hint, long_out, 'english_abbreviated').stdout.decode()
    assert '\u2026' in abbreviated and len(abbreviated) < 300
    assert '<0x01>' in abbreviated
    full = run(long_hint, long_out, 'english_full').stdout.decode()
    assert len(full) > len(abbreviated)


def test_200_mb_files(tmp_path):
    line = b'123456789 987654321 42 7 100000 99 1 2 3 4\n'
    chunk = line * (1 << 16)
    a, b = tmp_path / 'a', tmp_path / 'b'
    with open(a, 'wb') as fa, open(b, 'wb') as fb:
        for _ in range(200_000_000 // len(chunk) + 1):
            fa.write(chunk)
            fb.write(chunk)
        fb.write(b'5\n')
    assert compare_files(str(a), str(a)) == (True, '')
    same, text = compare_files(str(a), str(b))
    assert not same and text.endswith('expected end of file, found "5"')
    lines = os.path.getsize(a) // len(line)
    assert text.startswith(f'line {lines + 1}:')


# --- oicompare 1.0.2's rules, for the checker formats ------------------------

def _oi(tmp_path, hint, out, fmt='english_abbreviated'):
    from sio.compare import compare_files
    (tmp_path / 'hint').write_bytes(hint)
    (tmp_path / 'out').write_bytes(out)
    return compare_files(str(tmp_path / 'hint'), str(tmp_path / 'out'), fmt)


@pytest.mark.parametrize('hint, out, verdict', [
    (b'1 2\n', b'1 2\n', (True, '')),
    (b'1 2\n', b'1  2 \r\n', (True, '')),          # spaces, tabs, CR: white space
    (b'1 2\n', b'1 2\n\n\n', (True, '')),          # newlines before the end match it
    (b'1 2', b'1 2\n', (True, '')),
    (b'1 2\n', b'1\n2\n', (False, 'WRONG: line 1: expected "2", got end of line')),
    (b'1\n\n2\n', b'1\n2\n', (False, 'WRONG: line 2: expected end of line, got "2"')),
    (b'1\x0c2', b'1 2', (False, 'WRONG: line 1: expected "1<0x0C>2", got "1"')),  # \f: a byte
    (b'1\x002', b'1 2', (True, '')),               # \0: white space
    (b'12', b'1 2', (False, 'WRONG: line 1: expected "12", got "1"')),
    (b'abc\n', b'abcd\n', (False, 'WRONG: line 1: expected "abc", got "abcd"')),
    (b'5\n', b'', (False, 'WRONG: line 1: expected "5", got end of file')),
    (b'1\n2\n', b'1\n3\n', (False, 'WRONG: line 2: expected "2", got "3"')),
])
def test_oicompare_tokens_lines_and_messages(tmp_path, hint, out, verdict):
    """As oicompare 1.0.2 (upstream's and OIOIOI's comparator): newlines are
    tokens, except before the end of a file; the line is the expected
    file's."""
    assert _oi(tmp_path, hint, out) == verdict


def test_oicompare_polish_and_terse(tmp_path):
    assert _oi(tmp_path, b'1 2\n', b'1\n2\n', 'polish_abbreviated') == \
        (False, 'ŹLE: wiersz 1: oczekiwano "2", otrzymano koniec wiersza')
    assert _oi(tmp_path, b'1', b'2', 'english_terse') == (False, 'WRONG')


def _quoted(message):
    expected = message.split('expected ', 1)[1].split(', got ', 1)[0]
    return expected[1:-1]


def test_oicompare_abbreviates_long_words_as_it_does(tmp_path):
    # A word of 62 bytes fits in 100 display units: shown whole.
    word = b'q' + b'x' * 30 + b'%s' + b'y' * 30
    ok, message = _oi(tmp_path, word % b'A', word % b'B')
    assert _quoted(message) == (word % b'A').decode()
    # 301 bytes differing at 150: its first byte, as much after it as fits
    # the 100 units (88 bytes), a cut, the bytes around the difference, a cut.
    ok, message = _oi(tmp_path, b'x' * 150 + b'A' + b'y' * 150, b'x' * 150 + b'B' + b'y' * 150)
    assert _quoted(message) == 'x' * 89 + '…xAy…'
    # Near the start: the head is whole, the tail as much as fits.
    ok, message = _oi(tmp_path, b'abA' + b'z' * 200, b'abB' + b'z' * 200)
    shown = _quoted(message)
    assert shown.startswith('abAz') and shown.endswith('…')
    # oicompare frees the room of a head cut that a difference at byte 2
    # never reserved: 98 bytes then "…" (103 units; its arithmetic, kept).
    assert len(shown) == 99 and shown[:-1] == 'abA' + 'z' * 95
    # Escaped bytes count 6 units each.
    ok, message = _oi(tmp_path, b'\x01' * 40 + b'A', b'\x01' * 40 + b'B')
    assert _quoted(message).count('<0x01>') < 40 and '…' in _quoted(message)


def test_oicompare_words_longer_than_the_buffers(tmp_path):
    """A difference 2.5 MB into a 3 MB word (the comparator streams, a
    megabyte at a time): the start of the word is read again."""
    head = b'h' + b'x' * (2_500_000 - 1)
    ok, message = _oi(tmp_path, head + b'A' + b'y' * 500_000, head + b'B' + b'y' * 500_000)
    assert not ok
    assert _quoted(message) == 'h' + 'x' * 88 + '…xAy…'


def test_legacy_form_keeps_its_rules(tmp_path):
    """python -m sio.compare in exec-sandbox's form: white space of any kind
    separates tokens, newlines included."""
    from sio.compare import compare_files
    (tmp_path / 'hint').write_bytes(b'1 2\n')
    (tmp_path / 'out').write_bytes(b'1\n2\n')
    assert compare_files(str(tmp_path / 'hint'), str(tmp_path / 'out'))[0] is True
