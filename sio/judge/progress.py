"""Progress of a judging run: a live bar on a terminal, plain lines
otherwise (logs, pipes, CI)."""

import sys


class Progress:
    def __init__(self, stream=None, enabled: bool = True):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.live = enabled and self.stream.isatty()
        self._drawn = False

    def note(self, text: str) -> None:
        if not self.enabled:
            return
        self._clear()
        self.stream.write(text + '\n')
        self.stream.flush()

    def tick(self, done: int, total: int, elapsed: float, last: str) -> None:
        if not self.enabled:
            return
        eta = elapsed / done * (total - done) if done else 0.0
        if not self.live:
            self.stream.write(f'[{done}/{total}] {last}\n')
            self.stream.flush()
            return
        width = 30
        filled = int(width * done / total) if total else width
        bar = '#' * filled + '-' * (width - filled)
        self.stream.write(f'\r\x1b[K[{bar}] {done}/{total} tests  {elapsed:5.1f} s elapsed'
                          f'  ETA {eta:5.1f} s  {last}')
        self.stream.flush()
        self._drawn = True

    def finish(self) -> None:
        self._clear()

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write('\r\x1b[K')
            self.stream.flush()
            self._drawn = False
