"""The sandbox's aiohttp application and a server to start and stop it in-process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from types import TracebackType

from aiohttp import web

from bot.sandbox import botapi, control
from bot.sandbox.botapi import STATE_KEY
from bot.sandbox.config import SandboxConfig
from bot.sandbox.hooks import DemoHooks
from bot.sandbox.state import SandboxState
from bot.sandbox.updates import run_deliverer

logger = logging.getLogger(__name__)

# Headroom over the largest upload for the multipart framing and the other fields.
_BODY_OVERHEAD = 1024 * 1024


def create_app(
    config: SandboxConfig | None = None, state: SandboxState | None = None
) -> web.Application:
    """The Bot API at /bot<token>/<method>, files at /file/bot<token>/, control at /sandbox/."""
    config = config or SandboxConfig()
    state = state or SandboxState(config)
    app = web.Application(client_max_size=config.max_upload_bytes + _BODY_OVERHEAD)
    app[STATE_KEY] = state
    botapi.add_routes(app)
    control.add_routes(app)
    app.on_shutdown.append(_wake_long_polls)
    app.cleanup_ctx.append(_webhook_deliverer)
    return app


async def _wake_long_polls(app: web.Application) -> None:
    # Long polls would otherwise hold the shutdown for up to their full timeout.
    state = app[STATE_KEY]
    state.closing = True
    state.notify()


async def _webhook_deliverer(app: web.Application) -> AsyncIterator[None]:
    state = app[STATE_KEY]
    task = asyncio.create_task(run_deliverer(state), name="sandbox-webhook-deliverer")
    yield
    state.closing = True
    state.notify()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


class SandboxServer:
    """Runs the sandbox on a local port: `await start()`, use `url`, `await stop()`."""

    def __init__(self, config: SandboxConfig | None = None):
        self.config = config or SandboxConfig()
        self.state = SandboxState(self.config)
        self.app = create_app(self.config, self.state)
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the sandbox server is not started")
        return self._url

    def attach_demo(self, hooks: DemoHooks | None) -> None:
        """Let the chat page see the demo's people and clock (see bot/sandbox/hooks.py)."""
        self.state.demo = hooks

    @property
    def bot_base_url(self) -> str:
        """PTB's `base_url` for this sandbox."""
        return f"{self.url}/bot"

    @property
    def bot_base_file_url(self) -> str:
        """PTB's `base_file_url` for this sandbox."""
        return f"{self.url}/file/bot"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port; port 0 picks a free port (see `url`)."""
        if self._runner is not None:
            raise RuntimeError("the sandbox server is already started")
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        listening = f"{bound_host}:{bound_port}"
        if bound_host in ("0.0.0.0", "::"):
            bound_host = "127.0.0.1"  # reachable from this machine, which is what tests need
        if ":" in bound_host:
            bound_host = f"[{bound_host}]"
        self._url = f"http://{bound_host}:{bound_port}"
        logger.info("sandbox listening on %s (open %s)", listening, self._url)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        self._url = None

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()


async def serve_forever(
    config: SandboxConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 8081,
    *,
    on_ready: Callable[[SandboxServer], None] | None = None,
) -> None:
    """Run the sandbox until cancelled, then stop it and return.

    `on_ready` is called once the server listens (the CLI prints the address there).
    """
    server = SandboxServer(config)
    await server.start(host, port)
    try:
        if on_ready is not None:
            on_ready(server)
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()  # we end on purpose; don't leave the task marked as cancelling
    finally:
        await server.stop()
