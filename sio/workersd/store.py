"""sio-workersd's memory of asynchronous groups, in one SQLite file.

A group accepted by ``run_group`` is written before its id is returned;
each of its jobs is marked when it goes to the fleet and when its result
comes back; the group is marked when all are in, and removed once its
result was delivered to ``return_url``. After a restart the daemon reads it
back: results already in are kept, jobs already sent are awaited (they are
in the broker), the rest are sent, undelivered results are delivered. It
also keeps the id of the result store's process (Redis's ``run_id``), so
that a result store restarted while the daemon was down too is noticed.
"""

import json
import sqlite3
import threading
import time

SCHEMA = '''
CREATE TABLE IF NOT EXISTS groups (
    group_id TEXT PRIMARY KEY,
    env TEXT NOT NULL,
    status TEXT NOT NULL,          -- 'to_judge' or 'to_return'
    created REAL NOT NULL,
    retries INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS jobs (
    task_id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL REFERENCES groups(group_id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    state TEXT NOT NULL,           -- 'queued', 'sent' or 'done'
    result TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_group ON jobs(group_id);
CREATE TABLE IF NOT EXISTS facts (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
'''


class Store:
    def __init__(self, path: str):
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute('PRAGMA journal_mode=WAL')
        self._db.execute('PRAGMA synchronous=NORMAL')
        self._db.execute('PRAGMA foreign_keys=ON')
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add_group(self, group_env: dict) -> None:
        with self._lock, self._db:
            self._db.execute('BEGIN')
            self._db.execute('INSERT INTO groups VALUES (?, ?, ?, ?, 0)',
                             (group_env['group_id'], json.dumps(group_env), 'to_judge',
                              time.time()))
            self._db.executemany(
                'INSERT INTO jobs VALUES (?, ?, ?, ?, NULL)',
                [(job['task_id'], group_env['group_id'], name, 'queued')
                 for name, job in group_env['workers_jobs'].items()])

    def job_sent(self, task_id: str) -> None:
        with self._lock:
            self._db.execute("UPDATE jobs SET state = 'sent' WHERE task_id = ?", (task_id,))

    def job_done(self, task_id: str, result: dict) -> None:
        with self._lock:
            self._db.execute("UPDATE jobs SET state = 'done', result = ? WHERE task_id = ?",
                             (json.dumps(result), task_id))

    def group_judged(self, group_env: dict) -> None:
        with self._lock:
            self._db.execute("UPDATE groups SET status = 'to_return', env = ? "
                             "WHERE group_id = ?", (json.dumps(group_env), group_env['group_id']))

    def return_attempted(self, group_id: str, retries: int) -> None:
        with self._lock:
            self._db.execute('UPDATE groups SET retries = ? WHERE group_id = ?',
                             (retries, group_id))

    def forget_group(self, group_id: str) -> None:
        with self._lock:
            self._db.execute('DELETE FROM groups WHERE group_id = ?', (group_id,))

    def fact(self, name: str) -> str | None:
        """What :meth:`remember` last kept under ``name``, across restarts."""
        with self._lock:
            row = self._db.execute('SELECT value FROM facts WHERE name = ?', (name,)).fetchone()
        return row[0] if row else None

    def remember(self, name: str, value: str) -> None:
        with self._lock:
            self._db.execute('INSERT OR REPLACE INTO facts VALUES (?, ?)', (name, value))

    def unfinished(self) -> list[dict]:
        """Every stored group: ``{'env', 'status', 'retries', 'jobs':
        {task_id: (state, result)}}``, oldest first."""
        with self._lock:
            groups = self._db.execute(
                'SELECT group_id, env, status, retries FROM groups ORDER BY created').fetchall()
            out = []
            for group_id, env, status, retries in groups:
                jobs = {task_id: (state, json.loads(result) if result else None)
                        for task_id, state, result in self._db.execute(
                            'SELECT task_id, state, result FROM jobs WHERE group_id = ?',
                            (group_id,))}
                out.append({'env': json.loads(env), 'status': status, 'retries': retries,
                            'jobs': jobs})
            return out
