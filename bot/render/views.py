"""Imports every render module that registers payloads for services' views
(bot.render.payloads.payload_for), so that bot.outbox.send can draw any of them."""

from __future__ import annotations

from bot.render import (  # noqa: F401
    alerts,
    chart,
    digest,
    duty,
    faq,
    joining,
    leaders,
    notices,
    prompts,
    volunteers,
)
