"""A closed stdout or stderr ends the process the way a Unix tool ends: by SIGPIPE.

Python ignores SIGPIPE and raises `BrokenPipeError` on the write instead. Raised in
a worker thread (dbt writes from its worker threads), that error ends the thread
and nothing else: `glueflake run | head -2` then waited forever in dbt's queue for
a result the dead thread would never send. Restoring SIGPIPE's default action for
the whole process is no answer either, since a peer closing a *socket* (an HTTP
server, Snowflake) would then kill the process instead of raising an error the
retry logic handles.

So only the two standard streams are guarded: `guard_standard_streams` wraps
``sys.stdout`` and ``sys.stderr`` in a proxy whose writes and flushes turn a
broken pipe, in any thread, into the process's end: by SIGPIPE from the main
thread, by exit status 141 from another (the status a shell shows for both, as for
``yes | head``). Being killed mid-run is safe: every stage
is built to survive ``kill -9`` anywhere.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
from typing import Any, TextIO


def _is_broken_pipe(exc: OSError) -> bool:
    return isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE


def die_by_sigpipe() -> None:
    """End the process now, as the kernel ends a process writing to a closed pipe."""
    try:
        # Whatever is still buffered for the closed stream must not be flushed again
        # at exit (Python would print "Exception ignored ... BrokenPipeError").
        devnull = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            os.dup2(devnull, fd)
    except OSError:  # pragma: no cover - best effort
        pass
    if hasattr(signal, "SIGPIPE") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGPIPE)
    # Another thread cannot change a signal's action: exit with the status a shell
    # gives a process killed by SIGPIPE (128 + 13), skipping every cleanup.
    os._exit(128 + 13)


class _PipeGuard:
    """A text stream proxy: a broken pipe on write or flush ends the process."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            if not _is_broken_pipe(exc):
                raise
            die_by_sigpipe()
            raise  # pragma: no cover - not reached

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            if not _is_broken_pipe(exc):
                raise
            die_by_sigpipe()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def guard_standard_streams() -> None:
    """Wrap ``sys.stdout`` and ``sys.stderr`` so a closed pipe ends the process (once)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, _PipeGuard):
            setattr(sys, name, _PipeGuard(stream))
