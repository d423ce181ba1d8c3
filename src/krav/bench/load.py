"""A small HTTP/1.1 load generator for ``krav bench api``: asyncio streams, keep-alive, one process.

Why not httpx: the generator shares the machine's cores with the server it measures, so it must
cost little per request. A bare HTTP/1.1 exchange over a kept-alive asyncio stream costs a few
tens of microseconds of the client's CPU; the client is only ever pointed at ``127.0.0.1``.

**Open loop** (:func:`open_loop`): requests are *scheduled* at a fixed rate (request ``i`` at
``start + i / rate``) whether or not earlier ones have been answered, and each latency is measured
from the moment the request was scheduled, not from when a connection became free. A slow server
therefore shows up in the latency (no coordinated omission): a request that waited 300 ms for a
free connection counts 300 ms plus its own time.

**Closed loop** (:func:`closed_loop`): ``concurrency`` clients each send their next request when
the previous one is answered — for throughput (claims per second posted in batches).

Errors are answers other than 2xx, timeouts and broken connections; the run is bounded by its
duration plus ``timeout`` and stops by itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Request = tuple[str, str, bytes]  # method, path, body
MAX_HEADER = 64 * 1024


class HttpError(Exception):
    """The server broke the exchange (closed early, malformed answer)."""


class Connection:
    """One kept-alive HTTP/1.1 connection to ``host:port``; reconnects after a failure."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in
                             {"Host": f"{host}:{port}", **headers}.items()).encode("latin-1")
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = f"{method} {path} HTTP/1.1\r\n".encode("latin-1") + self.fixed
        if body or method in ("POST", "PUT", "PATCH"):
            head += (b"Content-Type: application/json\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n")
        self.writer.write(head + b"\r\n" + body)
        try:
            raw = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            raise HttpError("connection closed") from exc
        except asyncio.LimitOverrunError as exc:
            raise HttpError("header too large") from exc
        lines = raw.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise HttpError(f"bad status line {lines[0][:80]!r}")
        status = int(parts[1])
        length, chunked, close = None, False, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value.strip())
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        if chunked:
            payload = await self._chunked()
        elif length is not None:
            payload = await self.reader.readexactly(length)
        else:  # no length: the body runs to the end of the connection
            payload, close = await self.reader.read(), True
        if close:
            self.close()
        return status, payload

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        out = bytearray()
        while True:
            size = int((await self.reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await self.reader.readline()  # the blank line after the last chunk
                return bytes(out)
            out += await self.reader.readexactly(size)
            await self.reader.readline()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Result:
    """What one scenario measured: latencies (seconds) of the answered 2xx requests, errors by
    kind, the wall time and how many items (e.g. claims) the successful requests carried."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    items: int = 0
    seconds: float = 0.0
    client_cpu: float = 0.0
    first_error: str = ""

    def error(self, kind: str, detail: str = "") -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if not self.first_error:
            self.first_error = f"{kind}: {detail}"[:300]

    @property
    def answered(self) -> int:
        """Requests the server answered (2xx or not); timeouts and broken connections aside."""
        return self.requests - self.errors.get("timeout", 0) - self.errors.get("connection", 0)

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())

    def summary(self) -> dict[str, object]:
        ordered = sorted(self.latencies)
        return {"requests": self.requests,
                "rps": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
                "p50_ms": _ms(_quantile(ordered, 0.50)), "p90_ms": _ms(_quantile(ordered, 0.90)),
                "p99_ms": _ms(_quantile(ordered, 0.99)), "max_ms": _ms(ordered[-1] if ordered
                                                                        else None),
                "errors": sum(self.errors.values()), "error_kinds": dict(self.errors),
                **({"first_error": self.first_error} if self.first_error else {}),
                "seconds": round(self.seconds, 2), "client_cpu_s": round(self.client_cpu, 2)}


def _quantile(ordered: list[float], q: float) -> float | None:
    """The nearest-rank quantile (no interpolation): p99 is a latency some request really had."""
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.999999) - 1))]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


async def _exchange(conn: Connection, req: Request, timeout: float, result: Result,
                    started: float, count: Callable[[bytes], int] | None) -> None:
    method, path, body = req
    try:
        status, payload = await asyncio.wait_for(conn.request(method, path, body), timeout)
    except TimeoutError:
        conn.close()
        result.error("timeout", f"{method} {path[:60]}")
        return
    except (OSError, HttpError, asyncio.IncompleteReadError, ValueError) as exc:
        conn.close()
        result.error("connection", f"{type(exc).__name__} {exc}")
        return
    if 200 <= status < 300:
        result.latencies.append(time.perf_counter() - started)
        if count is not None:
            result.items += count(payload)
    else:
        result.error(f"http_{status}", payload[:200].decode("utf-8", "replace"))


async def open_loop(host: str, port: int, headers: dict[str, str], next_request:
                    Callable[[int], Request], *, rate: float, duration: float, concurrency: int,
                    timeout: float = 10.0) -> Result:
    """``rate × duration`` requests, request ``i`` scheduled at ``start + i / rate`` over at most
    ``concurrency`` kept-alive connections; latency counted from the scheduled moment."""
    result = Result()
    free: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(concurrency):
        free.put_nowait(Connection(host, port, headers))
    total = max(1, int(rate * duration))

    async def one(req: Request, due: float) -> None:
        try:
            conn = await asyncio.wait_for(free.get(), timeout)
        except TimeoutError:
            result.error("timeout", "no free connection")
            return
        try:
            remaining = timeout - (time.perf_counter() - due)
            if remaining <= 0:
                result.error("timeout", "waited for a connection")
                return
            await _exchange(conn, req, remaining, result, due, None)
        finally:
            free.put_nowait(conn)

    cpu0, start = time.process_time(), time.perf_counter()
    tasks = []
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif i % 32 == 0:  # behind schedule: still let the requests under way run
            await asyncio.sleep(0)
        tasks.append(asyncio.ensure_future(one(next_request(i), due)))
    await asyncio.wait(tasks, timeout=timeout + 1)
    for task in tasks:
        if not task.done():
            task.cancel()
            result.error("timeout", "still running at the end")
    result.seconds = max(time.perf_counter() - start, total / rate)
    result.client_cpu = time.process_time() - cpu0
    _close(free)
    return result


async def closed_loop(host: str, port: int, headers: dict[str, str], next_request:
                      Callable[[int], Request], *, duration: float, concurrency: int,
                      count: Callable[[bytes], int] | None = None,
                      timeout: float = 60.0) -> Result:
    """``concurrency`` clients, each sending its next request when the last is answered, until
    ``duration`` has passed (a request under way then is waited for, up to ``timeout``)."""
    result = Result()
    conns = [Connection(host, port, headers) for _ in range(concurrency)]
    counter = iter(range(1 << 62))
    cpu0, start = time.process_time(), time.perf_counter()
    stop = start + duration

    async def client(conn: Connection) -> None:
        while time.perf_counter() < stop:
            req = next_request(next(counter))
            await _exchange(conn, req, timeout, result, time.perf_counter(), count)

    clients = [asyncio.ensure_future(client(c)) for c in conns]
    await asyncio.wait(clients, timeout=duration + timeout + 5)
    for task in clients:
        if not task.done():
            task.cancel()
            result.error("timeout", "still running at the end")
    result.seconds = time.perf_counter() - start
    result.client_cpu = time.process_time() - cpu0
    for c in conns:
        c.close()
    return result


def _close(free: asyncio.Queue[Connection]) -> None:
    while not free.empty():
        free.get_nowait().close()
