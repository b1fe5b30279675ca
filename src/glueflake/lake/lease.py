"""Leases in the lake: one holder at a time per entity's extract, and per whole run.

A lease is a small JSON object created write-once (an exclusive create locally, a
conditional put, ``If-None-Match: *``, on S3), so of two processes taking the same
lease at once exactly one succeeds. The object names its holder (host, process, run)
and when it goes stale: after `ttl` seconds, or at once where the holder ran on this
machine and its process is gone (killed with -9, say). A stale lease is taken over;
a live one makes the second process stop with one line naming the holder.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType

import orjson

from glueflake.errors import LakeError
from glueflake.lake.store import ObjectExistsError, ObjectStore


class LeaseHeld(LakeError):
    """Someone else holds a live lease on what this process wanted to do."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lease, and until when it counts.

    Attributes:
        what: what the lease is for (``extract shop.orders``, ``run``).
        host: the holder's host name.
        pid: the holder's process id.
        run_id: the holder's run id (may be empty).
        token: random, tells this holder's lease from a successor's.
        acquired_at: when it was taken (UTC).
        expires_at: when it goes stale (UTC).
    """

    what: str
    host: str
    pid: int
    run_id: str
    token: str
    acquired_at: datetime
    expires_at: datetime

    def to_json(self) -> bytes:
        """The lease object's content."""
        return orjson.dumps(
            {
                "what": self.what,
                "host": self.host,
                "pid": self.pid,
                "run_id": self.run_id,
                "token": self.token,
                "acquired_at": _iso(self.acquired_at),
                "expires_at": _iso(self.expires_at),
            }
        )

    @classmethod
    def from_json(cls, data: bytes) -> Holder | None:
        """The holder a lease object names (None where it does not parse)."""
        try:
            raw = orjson.loads(data)
            return cls(
                what=str(raw["what"]),
                host=str(raw["host"]),
                pid=int(raw["pid"]),
                run_id=str(raw.get("run_id", "")),
                token=str(raw["token"]),
                acquired_at=datetime.fromisoformat(raw["acquired_at"]),
                expires_at=datetime.fromisoformat(raw["expires_at"]),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None

    def describe(self) -> str:
        """``pid 123 on host h, run r, since ...``."""
        run = f", run {self.run_id}" if self.run_id else ""
        return f"pid {self.pid} on {self.host}{run}, since {_iso(self.acquired_at)}"


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


class Lease:
    """A lease on one lake key; use as a context manager (released on exit)."""

    def __init__(
        self,
        store: ObjectStore,
        key: str,
        *,
        what: str,
        ttl: float,
        run_id: str = "",
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """A lease at `key` for `what`, stale `ttl` seconds after it is taken."""
        self.store = store
        self.key = key
        self.what = what
        self.ttl = ttl
        self.run_id = run_id
        self.now = now or (lambda: datetime.now(UTC))
        self.holder: Holder | None = None

    def _stale(self, holder: Holder | None) -> bool:
        if holder is None:
            return True  # not a lease glueflake wrote: nobody can renew it
        if self.now() >= holder.expires_at:
            return True
        return holder.host == socket.gethostname() and not _process_alive(holder.pid)

    def acquire(self) -> None:
        """Take the lease, taking over a stale one.

        Raises:
            LeaseHeld: a live lease names another holder.
        """
        started = self.now()
        mine = Holder(
            what=self.what,
            host=socket.gethostname(),
            pid=os.getpid(),
            run_id=self.run_id,
            token=secrets.token_hex(8),
            acquired_at=started,
            expires_at=started + timedelta(seconds=self.ttl),
        )
        for _ in range(5):
            try:
                self.store.put(self.key, mine.to_json())
            except ObjectExistsError:
                pass
            else:
                self.holder = mine
                return
            try:
                current = Holder.from_json(self.store.get(self.key))
            except FileNotFoundError:
                continue  # released meanwhile: try again
            if not self._stale(current):
                assert current is not None
                raise LeaseHeld(
                    f"{self.what}: the lake is held by another {current.what} "
                    f"({current.describe()}); it is stale after "
                    f"{_iso(current.expires_at)} or once that process is gone "
                    f"(lease {self.store.url}/{self.key}, lake.lease_ttl)"
                )
            self.store.delete(self.key)
        raise LeaseHeld(f"{self.what}: could not take the lease {self.store.url}/{self.key}")

    def release(self) -> None:
        """Give the lease up (only if it is still this holder's)."""
        if self.holder is None:
            return
        holder, self.holder = self.holder, None
        try:
            current = Holder.from_json(self.store.get(self.key))
            if current is not None and current.token == holder.token:
                self.store.delete(self.key)
        except FileNotFoundError:
            pass
        except Exception as exc:  # the work is done; the lease goes stale by itself
            print(
                f"warning: {self.what}: could not release the lease {self.store.url}/"
                f"{self.key} ({type(exc).__name__}: {exc}); it is stale after "
                f"{_iso(holder.expires_at)}",
                file=sys.stderr,
            )

    def __enter__(self) -> Lease:
        """Acquire."""
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Release."""
        self.release()
