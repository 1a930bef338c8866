"""A small progress bar for stderr (no dependency).

On a terminal it redraws one line in place, at most ten times a second; otherwise (a log file,
CI) it prints a line at every tenth of the way, so logs stay short.

The estimated time left counts from the first update, not from the start: what comes before it
(starting worker processes, importing the libraries, compiling the first kernels) is no measure
of the rate, and counting it made the first estimate hours for a run of a minute. No estimate
is shown until 2 % of the work and 2 seconds have passed since then.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """``Progress(total)``; call ``update(n, label)`` as work is done, ``close()`` at the end.

    ``unit`` names what is counted (``cases`` for the conformance suite, ``calls`` for
    ``multiact list``).
    """

    def __init__(
        self,
        total: int,
        stream: TextIO | None = None,
        width: int = 28,
        unit: str = "cases",
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.unit = unit
        self.total = max(total, 0)
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.done = 0
        self.clock = clock
        self.start = clock()
        #: (time, count) at the first update: the rate is measured from there.
        self._first: tuple[float, int] | None = None
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_draw = 0.0
        self._last_tenth = -1
        self._closed = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def line(self, label: str = "") -> str:
        fraction = self.done / self.total if self.total else 1.0
        filled = round(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        now = self.clock()
        elapsed = now - self.start
        eta = ""
        left = self.eta(now)
        if left is not None:
            eta = f" eta {left:4.0f}s"
        elif 0 < fraction < 1:
            eta = " eta    ?"
        count = f"{self.done}/{self.total} {self.unit}"
        text = f"[{bar}] {fraction:4.0%} {count} {elapsed:5.1f}s{eta}  {label}"
        return text.rstrip()

    def eta(self, now: float | None = None) -> float | None:
        """Seconds left at the rate since the first update; None until it can be told."""
        if self._first is None or not 0 < self.done < self.total:
            return None
        now = self.clock() if now is None else now
        since, first_done = self._first
        measured = self.done - first_done
        if measured < max(1, 0.02 * self.total) or now - since < 2.0:
            return None
        return (now - since) / measured * (self.total - self.done)

    def update(self, n: int = 1, label: str = "") -> None:
        now = self.clock()
        if self._first is None:
            self._first = (now, self.done + n)
        self.done = min(self.total, self.done + n)
        if self.tty:
            if now - self._last_draw >= 0.1 or self.done == self.total:
                columns = shutil.get_terminal_size((100, 20)).columns
                text = self.line(label)[: columns - 1]
                self.stream.write("\r" + text.ljust(columns - 1))
                self.stream.flush()
                self._last_draw = now
            return
        tenth = int(10 * self.done / self.total) if self.total else 10
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            self.stream.write(self.line(label) + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.tty:
            columns = shutil.get_terminal_size((100, 20)).columns
            self.stream.write("\r" + self.line("done")[: columns - 1].ljust(columns - 1) + "\n")
            self.stream.flush()
        elif self._last_tenth != 10:
            self.stream.write(self.line("done") + "\n")
            self.stream.flush()
