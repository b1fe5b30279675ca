"""A closed stdout ends the process, whichever thread writes (glueflake.pipes).

Each case is a real process whose stdout is a pipe the test closes after two lines,
with a timeout: before the guard, a worker thread died of the broken pipe and the
main thread, waiting for it as dbt's does, hung forever.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

CLOSED_BY_SIGPIPE = (128 + signal.SIGPIPE, -signal.SIGPIPE)

# A worker thread prints through rich (rich turns a broken pipe into SystemExit,
# which ends only that thread) while the main thread waits on a queue for it.
WORKER = textwrap.dedent(
    """
    import queue, threading
    {guard}
    from rich.console import Console
    console = Console(soft_wrap=True)
    done = queue.Queue()
    def work():
        for i in range(10_000_000):
            console.print(f"line {{i}}")
        done.put(True)
    threading.Thread(target=work, daemon=True).start()
    done.get()
    """
)
MAIN = textwrap.dedent(
    """
    {guard}
    for i in range(10_000_000):
        print(f"line {{i}}", flush=True)
    """
)
GUARD = "from glueflake.pipes import guard_standard_streams; guard_standard_streams()"


def _read_two_lines_then_close(script: str, timeout: float = 20) -> int | None:
    """Run `script`, read two lines of its stdout, close it; its exit status (None: hung)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(2)]
    assert lines == [b"line 0\n", b"line 1\n"]
    proc.stdout.close()
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


@pytest.mark.parametrize("script", [WORKER, MAIN], ids=["worker-thread", "main-thread"])
def test_a_closed_stdout_ends_the_process_as_sigpipe(script: str) -> None:
    assert _read_two_lines_then_close(script.format(guard=GUARD)) in CLOSED_BY_SIGPIPE


def test_without_the_guard_a_worker_thread_write_hangs_the_process() -> None:
    # The defect the guard fixes, shown on the same script.
    assert _read_two_lines_then_close(WORKER.format(guard=""), timeout=3) is None


def test_an_open_stdout_is_written_unchanged_and_sockets_keep_sigpipe_ignored() -> None:
    script = (
        f"{GUARD}\nimport signal, sys\nprint('a'); sys.stdout.write('b\\n')\n"
        "print(signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout == "a\nb\nTrue\n"
