"""The Bot API's HTTP requests on aiohttp, in place of PTB's default (httpx).

Every update costs the bot at least two Bot API calls (the reply and its getUpdates), and
in PTB's default request class each one passed through httpx, httpcore, anyio and h11: by
cProfile 60 % of the bot's CPU for a one-tap report, more than the database and our handlers
together (benchmarks/README.md, "2026-12-06: the Bot API's transport"). aiohttp, already the
bot's web server and the sandbox's, makes the same request for far less: the one-tap report
fell from 9.5 to 6.6 ms of CPU on SQLite and from 8.4 to 6.8 ms on PostgreSQL, and every
notice the outbox sends is cheaper too.

`AiohttpRequest` is PTB's `BaseRequest` (`ApplicationBuilder.request` and
`.get_updates_request`), with the same outcomes as httpx's: a status and the body, TimedOut
when a time-out ran out (the request may have been carried out: the outbox treats it so),
NetworkError for any other failure of the connection (it was not). Time-outs map onto
aiohttp's: connect (waiting for a pooled connection included) to `sock_connect` and
`connect`, read to `sock_read`. aiohttp has no time-out for writing a request, so a request
that uploads a file also has a total time-out (`media_total`), as a stalled upload must not
hold its update for ever. A proxy comes from the environment (HTTPS_PROXY, NO_PROXY), as
with httpx, looked up once per host: aiohttp's own `trust_env` also looks for a .netrc on a
worker thread for every request, which cost more CPU than the transport saved.
"""

from __future__ import annotations

import urllib.request
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# PTB's defaults for HTTPXRequest, kept.
READ_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
# An upload's whole request: PTB's media write time-out (20 s) and the usual read.
MEDIA_TOTAL = 20.0 + READ_TIMEOUT
# Connections kept to the Bot API: PTB's builder's default for the bot's calls (the
# getUpdates request needs one).
POOL_SIZE = 256


class AiohttpRequest(BaseRequest):
    """Bot API requests on one aiohttp session (its pool of `pool_size` connections),
    opened by `initialize` and closed by `shutdown`."""

    __slots__ = ("_session", "_pool_size", "_read", "_connect", "_pool", "_media_total",
                 "_proxies")

    def __init__(self, pool_size: int = POOL_SIZE, *, read_timeout: float = READ_TIMEOUT,
                 connect_timeout: float = CONNECT_TIMEOUT, pool_timeout: float = POOL_TIMEOUT,
                 media_total: float = MEDIA_TOTAL) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._pool_size = pool_size
        self._read, self._connect, self._pool = read_timeout, connect_timeout, pool_timeout
        self._media_total = media_total
        self._proxies: dict[tuple[str, str], str | None] = {}  # (scheme, host): proxy

    @property
    def read_timeout(self) -> float | None:
        """The default read time-out (getUpdates adds its long-polling time to it)."""
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                timeout=aiohttp.ClientTimeout(total=None),
                headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE,
                         write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("this AiohttpRequest is not initialized")
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        data: Any = None
        total = None
        if request_data is not None:
            if request_data.contains_files:
                # Names as written (名单.csv), as httpx and Telegram's own apps send them:
                # aiohttp would percent-encode them, and Telegram shows what it receives.
                form = aiohttp.FormData(request_data.json_parameters, quote_fields=False)
                for name, part in request_data.multipart_data.items():
                    filename, content, mime = part  # PTB's (name, bytes, MIME type)
                    form.add_field(name, content, filename=filename, content_type=mime)
                data, total = form, self._media_total
            else:
                data = request_data.json_parameters  # sent form-encoded, as httpx does
        waiting = None if connect is None and pool is None else (connect or 0) + (pool or 0)
        timeout = aiohttp.ClientTimeout(total=total, connect=waiting, sock_connect=connect,
                                        sock_read=read)
        try:
            async with session.request(method, url, data=data, timeout=timeout,
                                       proxy=self._proxy_for(url)) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's own time-outs are TimeoutErrors too
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error

    def _proxy_for(self, url: str) -> str | None:
        """The environment's proxy for `url`'s scheme and host (None: go direct)."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            proxy = urllib.request.getproxies().get(parts.scheme)
            bypass = proxy is not None and urllib.request.proxy_bypass(parts.netloc)
            self._proxies[key] = None if bypass else proxy
        return self._proxies[key]
