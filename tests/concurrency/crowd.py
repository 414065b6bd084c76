"""A crowd of HTTP/1.1 clients on asyncio streams (standard library only).

Each request has its own TCP connection, like a crowd of phones: all of them
connect first, then every request is written at the same moment (a barrier),
then the answers are read. Nothing here touches the ORM, so it runs in its own
event loop (``asyncio.run``) between the synchronous parts of a test.
"""

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

CONNECT_TIMEOUT = 30
ANSWER_TIMEOUT = 120


@dataclass
class Call:
    """One request to make; ``tag`` is whatever the test needs to know it again."""

    method: str
    path: str
    token: str | None = None
    body: dict | None = None
    tag: object = None
    at: float | None = None  # wall-clock time (time.time()) to send it at; None: with the crowd


@dataclass
class Answer:
    call: Call
    status: int
    body: object
    sent_at: float  # time.time() just before the request was written
    done_at: float  # time.time() once the whole answer was read
    error: str | None = field(default=None)

    @property
    def code(self):
        return self.body.get("code") if isinstance(self.body, dict) else None


def encode(call: Call, host: str, port: int) -> bytes:
    payload = b"" if call.body is None else json.dumps(call.body).encode()
    lines = [
        f"{call.method} {call.path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Connection: close",
        "Accept: application/json",
        f"Content-Length: {len(payload)}",
    ]
    if call.body is not None:
        lines.append("Content-Type: application/json")
    if call.token:
        lines.append(f"X-Session-Token: {call.token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def decode(raw: bytes) -> tuple[int, object]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if b"chunked" in headers.get(b"transfer-encoding", b""):
        body = _dechunk(body)
    elif b"content-length" in headers:
        body = body[: int(headers[b"content-length"])]
    try:
        return status, json.loads(body) if body else None
    except ValueError:
        return status, body.decode(errors="replace")[:2000]


def _dechunk(body: bytes) -> bytes:
    out, rest = b"", body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2 :]
    return out


async def _connect(host, port):
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while True:
        try:
            return await asyncio.wait_for(asyncio.open_connection(host, port), timeout=CONNECT_TIMEOUT)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


async def _one(call, host, port, go: asyncio.Event, connected: list, everyone: int, all_in: asyncio.Event):
    reader = writer = None
    try:
        if call.at is None:
            reader, writer = await _connect(host, port)
            connected.append(1)
            if len(connected) == everyone:
                all_in.set()
            await go.wait()
        else:  # a scheduled call connects just before its moment
            await asyncio.sleep(max(0.0, call.at - time.time() - 0.02))
            reader, writer = await _connect(host, port)
            await asyncio.sleep(max(0.0, call.at - time.time()))
        sent_at = time.time()
        writer.write(encode(call, host, port))
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout=ANSWER_TIMEOUT)
        done_at = time.time()
        status, body = decode(raw)
        return Answer(call, status, body, sent_at, done_at)
    except Exception as exc:  # a transport failure is an answer the test will look at
        return Answer(call, 0, None, time.time(), time.time(), error=f"{type(exc).__name__}: {exc}")
    finally:
        if writer is not None:
            writer.close()


async def crowd_async(base: str, calls: list[Call], during=None) -> list[Answer]:
    """Every call at once (or at its ``at``); answers in the order of ``calls``.
    ``during(answers_so_far)``, if given, is awaited as a task beside the crowd."""
    host, port = base.removeprefix("http://").split(":")
    port = int(port)
    go, all_in = asyncio.Event(), asyncio.Event()
    connected: list = []
    together = sum(1 for c in calls if c.at is None)
    tasks = [asyncio.create_task(_one(c, host, port, go, connected, together, all_in)) for c in calls]
    if together:
        waiting = asyncio.create_task(all_in.wait())
        await asyncio.wait([waiting, *tasks], timeout=CONNECT_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        go.set()  # everyone is connected (or a call failed early: release the rest, it will show)
    side = asyncio.create_task(during(tasks)) if during else None
    answers = await asyncio.gather(*tasks)
    if side is not None:
        await side
    return list(answers)


def crowd(base: str, calls: list[Call], during=None) -> list[Answer]:
    """The crowd on an event loop of its own. When this thread already runs one (Playwright's
    sync API leaves one behind once a browser test has run in the session), it goes in a
    thread of its own, since asyncio.run refuses to nest."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(crowd_async(base, calls, during))
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, crowd_async(base, calls, during)).result()


def one(base: str, call: Call) -> Answer:
    return crowd(base, [call])[0]
