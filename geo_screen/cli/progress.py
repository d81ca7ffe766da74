"""Progress on stderr: timed step messages, or one bar per step on a terminal."""

from __future__ import annotations

import sys
import time


class StepLog:
    """Progress messages on stderr, each with the time since the command started."""

    def __init__(self, *, quiet: bool = False):
        self.quiet = quiet
        self.t0 = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.t0:7.1f} s] {message}", file=sys.stderr, flush=True)

    def close(self) -> None:
        """End the last step (nothing to do for plain messages)."""

    def finish(self, message: str) -> None:
        """End the last step and say ``message``."""
        self.close()
        self(message)


class StepBars(StepLog):
    """One progress bar per step on stderr: its time and, once the registry is read, its rows/s.

    The screening steps are vectorised (a step handles every row at once), so each bar fills when
    its step ends. :func:`geo_screen.screening.screen.screen` sets :attr:`rows` when it knows the row count.
    """

    def __init__(self, *, quiet: bool = False):
        super().__init__(quiet=quiet)
        self.rows: int | None = None
        self.bar = None

    def __call__(self, message: str) -> None:
        if self.quiet:
            return
        from tqdm import tqdm

        self.close()
        self.bar = tqdm(
            total=self.rows,
            desc=message,
            unit="rows",
            unit_scale=True,
            file=sys.stderr,
            leave=True,
            bar_format="{desc}: {percentage:3.0f}%|{bar:20}| {n_fmt}/{total_fmt} [{elapsed}, {rate_fmt}]"
            if self.rows
            else "{desc} [{elapsed}]",
        )

    def finish(self, message: str) -> None:
        self.close()
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            if self.rows:
                self.bar.update(self.rows - self.bar.n)
            self.bar.close()
            self.bar = None
