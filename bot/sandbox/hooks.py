"""What the sandbox may learn from the program that runs it: who the users are and a clock.

The sandbox knows nothing about the bot. The demo (bot.cli.demo) knows both, so it registers an
object of this shape with the sandbox (`SandboxServer.register_demo`); the chat page then
reads it through ``/sandbox/demo/...``. Without one (the sandbox alone, the tests) those
endpoints answer 404 and the page hides what needs them.
"""

from __future__ import annotations

from typing import Protocol

from bot.sandbox.models import JSON


class DemoHooks(Protocol):
    async def people(self) -> list[JSON]:
        """One entry per demo user: ``user_id``, ``unit``, ``role`` (member, leader, admin),
        ``linked`` and ``digest`` (in a reporting chain)."""
        ...

    async def clock(self) -> JSON:
        """The demo clock: ``now`` (ISO, the organisation's time zone), ``timezone``,
        ``presets`` ([{"name", "time": "HH:MM"}]: prompt, reminders, deadline, digest) and
        ``rumours`` ({locale: a sample rumour text to forward})."""
        ...

    async def run_at(self, at: str) -> JSON:
        """Move the bot's clock to `at` (ISO; without a zone, the organisation's) and run
        what is due then, as `selfreport tick --at` does; returns ``now`` and ``queued``
        ({kind: count}). Raises ValueError with a reason for a bad `at`."""
        ...
