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
    assert run(hint).returncode == 1


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
