"""An asyncio loop that shares new connections fairly between server processes.

Why: with ``--workers N`` every process accepts on one listening socket, and
asyncio accepts *every* pending connection at each wake-up (up to the listen
backlog). Eight keep-alive clients connecting together land in one process:
measured on this project's machine, 8 of 8 connections in one worker in 9 of
10 trials, so the second process idled while the first queued every search.

What it does differently, nothing else:

* at most one ``accept`` per wake-up, so another process can take the next;
* after each, it stops listening for ``min(5 ms, 1 ms x (1 + its open
  connections))``: a process that already serves more steps back longer,
  and a busy one (its event loop slow to come round) takes fewer.

It overrides one private method of ``asyncio.SelectorEventLoop``
(``_accept_connection``, stable since Python 3.7); if a future Python renames
it the override is simply never called and the loop behaves like asyncio's.
The pause bounds one process's accept rate (1,000/s when idle, 200/s from
four open connections on); the other processes keep accepting meanwhile.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

__all__ = ["FairAcceptLoop"]

PAUSE_PER_CONNECTION = 0.001  # seconds
MAX_PAUSE = 0.005


class FairAcceptLoop(asyncio.SelectorEventLoop):
    """``asyncio.SelectorEventLoop`` with fair accepting (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.open_connections = 0

    def _accept_connection(
        self,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        sock: socket.socket,
        sslcontext: Any = None,
        server: Any = None,
        backlog: int = 100,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        counted = self._counting(protocol_factory)
        # asyncio's private accept loop (no public hook exists for one accept
        # per wake-up); typeshed does not declare it, hence the ignore
        super()._accept_connection(  # type: ignore[misc]
            counted, sock, sslcontext, server, 1, *args, **kwargs
        )
        fd = sock.fileno()
        if fd == -1:
            return
        self.remove_reader(fd)
        # +1: the connection just accepted gets its protocol a loop turn later
        pause = min(MAX_PAUSE, PAUSE_PER_CONNECTION * (self.open_connections + 1))
        self.call_later(pause, self._resume, fd, protocol_factory, sock, sslcontext, server,
                        backlog, args, kwargs)  # fmt: skip

    def _resume(self, fd: int, protocol_factory: Callable[[], asyncio.BaseProtocol],
                sock: socket.socket, sslcontext: Any, server: Any, backlog: int,
                args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:  # fmt: skip
        if sock.fileno() != fd or (server is not None and not server.is_serving()):
            return  # closed while paused: the server is shutting down
        self.add_reader(fd, lambda: self._accept_connection(
            protocol_factory, sock, sslcontext, server, backlog, *args, **kwargs))  # fmt: skip

    def _counting(
        self, protocol_factory: Callable[[], asyncio.BaseProtocol]
    ) -> Callable[[], asyncio.BaseProtocol]:
        """The factory, with each protocol counted until its connection is lost."""

        def make() -> asyncio.BaseProtocol:
            proto = protocol_factory()
            lost = proto.connection_lost
            self.open_connections += 1

            def connection_lost(exc: Exception | None) -> None:
                self.open_connections -= 1
                lost(exc)

            # wrap the protocol's own callback to count closes; a method
            # assignment on purpose, which mypy flags by design
            proto.connection_lost = connection_lost  # type: ignore[method-assign]
            return proto

        return make
