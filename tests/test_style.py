"""The code base stays ruff-clean and its C compiles without warnings."""

import glob
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_ruff_clean():
    ruff = shutil.which('ruff', path=os.path.dirname(sys.executable))
    if ruff is None:
        pytest.skip('ruff is not installed in this environment (pip install .[test])')
    proc = subprocess.run([ruff, 'check', 'sio', 'tests', 'benchmarks', 'examples'],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_native_c_is_warning_free(tmp_path):
    native = os.path.join(ROOT, 'sio', '_native')
    sources = glob.glob(os.path.join(native, '*', '*.c'))  # not Cython's output, above them
    assert len(sources) > 20, sources
    for source in sources:
        proc = subprocess.run(['gcc', '-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror',
                               '-I', native, '-c', source, '-o', str(tmp_path / 'x.o')],
                              capture_output=True, text=True)
        assert proc.returncode == 0, f'{source}:\n{proc.stderr}'
