"""Admission of jobs on one machine (sio.workers.machine), across threads
and processes: exclusivity of wall-clock jobs and the memory budget."""

import os
import threading
import time

import pytest

from sio.workers import Failure, machine
from sio.workers.util import TemporaryCwd, remove_abandoned_job_dirs


@pytest.fixture(autouse=True)
def own_machine_dir(tmp_path, monkeypatch):
    monkeypatch.setenv('SIO_MACHINE_DIR', str(tmp_path / 'machine'))


def run_together(environs, hold=0.3):
    """Run admitted() for each environ in its own thread at once; the
    (start, end) of each one's time inside."""
    spans = [None] * len(environs)

    def one(i):
        with machine.admitted(environs[i]):
            start = time.monotonic()
            time.sleep(hold)
            spans[i] = (start, time.monotonic())

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(environs))]
    for t in threads:
        t.start()
        time.sleep(0.02)
    for t in threads:
        t.join(30)
    return spans


def overlap(a, b):
    return a[0] < b[1] and b[0] < a[1]


def test_exclusive_jobs_run_alone_and_others_share():
    spans = run_together([{'job_type': 'ping'}, {'job_type': 'cpu-exec'}, {'job_type': 'ping'},
                          {'job_type': 'exec', 'exclusive': True}, {'job_type': 'ping'}])
    exclusive = [spans[1], spans[3]]
    for e in exclusive:
        assert not any(overlap(e, s) for s in spans if s is not e), spans
    ordinary = run_together([{'job_type': 'ping'}, {'job_type': 'exec'}, {'job_type': 'ping'}])
    assert overlap(ordinary[0], ordinary[1]) and overlap(ordinary[1], ordinary[2]), \
        'ordinary jobs share the machine'


def test_waiting_exclusive_job_is_not_starved():
    """Shared jobs arriving after an exclusive one waits queue behind it."""
    spans = run_together([{'job_type': 'ping'}, {'job_type': 'cpu-exec'}, {'job_type': 'ping'}],
                         hold=0.4)
    assert spans[1][0] < spans[2][0], spans


def test_memory_budget(monkeypatch):
    monkeypatch.setenv('SIO_MACHINE_RAM_MIB', '100')
    big = {'job_type': 'exec', 'exec_mem_limit': 80 << 10}
    spans = run_together([big, dict(big)])
    assert not overlap(*spans), 'two 80 MiB jobs do not fit in 100 MiB together'
    small = {'job_type': 'exec', 'exec_mem_limit': 40 << 10}
    spans = run_together([small, dict(small)])
    assert overlap(*spans), 'two 40 MiB jobs do'
    huge = {'job_type': 'exec', 'required_ram_mib': 500}
    assert run_together([huge])[0], 'a job above the budget runs alone'


def test_required_ram_as_upstream_reckons_it():
    """From the limits as the job itself reads them (the same keys and
    defaults, sio.workers.limits): a compilation may use the compiler's
    1 GiB (upstream's daemon assumed 512 MiB), read from
    ``compilation_mem_limit`` (it read ``compile_mem_limit``, a key no job
    has)."""
    assert machine.required_ram_mib({'job_type': 'exec', 'exec_mem_limit': 65536}) == 64
    assert machine.required_ram_mib({'job_type': 'exec', 'exec_mem_limit': 1024,
                                     'check_output': True}) == 256
    assert machine.required_ram_mib({'job_type': 'compile'}) == 1024
    assert machine.required_ram_mib({'job_type': 'compile',
                                     'compilation_mem_limit': 300 << 10}) == 300
    with pytest.raises(Failure, match=r"environ\['inwer_mem_limit'\]"):
        machine.required_ram_mib({'job_type': 'inwer', 'inwer_mem_limit': 'lots'})
    assert machine.required_ram_mib({'job_type': 'ingen', 'ingen_mem_limit': 2048}) == 2
    assert machine.required_ram_mib({'job_type': 'ping'}) == 1
    assert machine.required_ram_mib({'required_ram_mib': 7}) == 7


def test_reservation_of_a_dead_process_is_dropped(tmp_path, monkeypatch):
    monkeypatch.setenv('SIO_MACHINE_RAM_MIB', '100')
    base = machine.machine_dir()
    stale = os.path.join(base, 'ram', '999999-stale')
    with open(stale, 'w') as f:
        f.write('90')  # written, but no process holds its lock
    start = time.monotonic()
    with machine.admitted({'job_type': 'exec', 'exec_mem_limit': 50 << 10}):
        pass
    assert time.monotonic() - start < 1 and not os.path.exists(stale)


def test_abandoned_job_directories_are_removed(tmp_path):
    mine = tmp_path / f'sio-job-{os.getpid()}-live'
    mine.mkdir()
    dead = tmp_path / 'sio-job-4194001-dead'
    (dead / 'inner').mkdir(parents=True)
    other = tmp_path / 'sio-job-notapid'
    other.mkdir()
    assert remove_abandoned_job_dirs(str(tmp_path)) == [str(dead)]
    assert mine.exists() and other.exists() and not dead.exists()
    with TemporaryCwd() as path:
        assert os.path.basename(path).startswith(f'sio-job-{os.getpid()}-')


def test_admission_files_are_the_workers_alone():
    """Programs run under other ids must not be able to open (and hold) the
    machine's locks or reservations."""
    import stat

    with machine.admitted({'job_type': 'ping'}):
        base = machine.machine_dir()
        for name in ('machine.lock', 'turnstile.lock', 'ram.lock'):
            assert stat.S_IMODE(os.stat(os.path.join(base, name)).st_mode) == 0o600
        [reservation] = os.listdir(os.path.join(base, 'ram'))
        assert stat.S_IMODE(os.stat(os.path.join(base, 'ram', reservation)).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.join(base, 'ram')).st_mode) == 0o700
