"""The sandbox's in-memory world: the bot, users, chats, updates, files, callback queries.

Pure Python (asyncio only for waking long polls); the HTTP layers read and change it.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable

from bot.sandbox.config import SandboxConfig
from bot.sandbox.hooks import DemoHooks
from bot.sandbox.limits import FaultInjector, RateLimiter
from bot.sandbox.models import (
    JSON,
    CallbackRecord,
    Message,
    PendingUpdate,
    Stats,
    StoredFile,
    User,
    WebhookSettings,
)

logger = logging.getLogger(__name__)

_FILE_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif"}


class SandboxState:
    """Everything the sandbox knows. `reset()` empties the world but keeps the bot's setup."""

    def __init__(self, config: SandboxConfig, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self.clock = clock
        # The date stamped on messages; the demo makes it follow the bot's (movable) clock.
        self.wall_clock: Callable[[], float] = time.time
        # Set by the program running the sandbox (bot.cli.demo); see bot/sandbox/hooks.py.
        self.demo: DemoHooks | None = None
        self.limiter = RateLimiter(config, clock)
        self.faults = FaultInjector()
        # Bot configuration survives reset(), like a real bot's webhook and command list.
        self.webhook = WebhookSettings()
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        # Menu buttons by chat id, 0 for the bot's default (bot.sandbox.webapps).
        self.menu_buttons: dict[int, JSON] = {}
        self.allowed_updates: list[str] | None = None
        # update_id only ever grows, even across reset(): a running bot keeps its offset.
        self._update_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Event()
        self.poll_generation = 0
        self.closing = False
        self.users: dict[int, User] = {}
        self.chats: dict[int, dict[int, Message]] = {}
        self.chat_versions: dict[int, int] = {}
        self._next_message_id: dict[int, int] = {}
        self.updates: deque[PendingUpdate] = deque()
        # Updates queued lately, delivered or not: /sandbox/updates/{id}/redeliver sends one again.
        self.recent: dict[int, PendingUpdate] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.stats = Stats()

    def reset(self) -> None:
        self.users.clear()
        self.chats.clear()
        self.chat_versions.clear()
        self._next_message_id.clear()
        self.updates.clear()
        self.recent.clear()
        self.files.clear()
        self.files_by_path.clear()
        self.callbacks.clear()
        self.stats = Stats()
        self.limiter.reset()
        self.faults.configure({})
        self.notify()

    # -- waking long polls -------------------------------------------------------------------

    def notify(self) -> None:
        """Wake every waiter; each re-checks its own condition."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Wait until `condition()` holds or `timeout` seconds pass; return the condition."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0 or self.closing:
                return condition()
            event = self._changed
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                pass
        return True

    # -- the bot and its users ---------------------------------------------------------------

    def bot_user(self) -> JSON:
        return {
            "id": self.config.bot_id,
            "is_bot": True,
            "first_name": self.config.bot_first_name,
            "username": self.config.bot_username,
        }

    def upsert_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        language_code: str | None = None,
        phone_number: str | None = None,
    ) -> User:
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = User(id=user_id, first_name=first_name)
        user.first_name = first_name
        user.last_name = last_name
        user.language_code = language_code
        user.phone_number = phone_number
        self.notify()
        return user

    # -- chats ---------------------------------------------------------------------------------

    def chat(self, chat_id: int) -> dict[int, Message]:
        return self.chats.setdefault(chat_id, {})

    def add_message(self, chat_id: int, sender: str, content: JSON, **meta: object) -> Message:
        """Append a message; `content` is the Bot API fields beyond id, date, chat and from."""
        user = self.users[chat_id]
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        payload: JSON = {
            "message_id": message_id,
            "from": self.bot_user() if sender == "bot" else user.telegram(),
            "chat": user.private_chat(),
            "date": int(self.wall_clock()),
            **content,
        }
        message = Message(
            message_id=message_id,
            chat_id=chat_id,
            sender=sender,
            payload=payload,
            **meta,  # type: ignore[arg-type]
        )
        self.chat(chat_id)[message_id] = message
        self.touch(chat_id)
        return message

    def find_message(self, chat_id: int, message_id: int) -> Message | None:
        message = self.chats.get(chat_id, {}).get(message_id)
        return None if message is None or message.deleted else message

    def touch(self, chat_id: int) -> None:
        self.chat_versions[chat_id] = self.chat_versions.get(chat_id, 0) + 1
        self.notify()

    # -- updates -------------------------------------------------------------------------------

    def enqueue(self, kind: str, payload: JSON) -> int:
        """Queue an update for the bot and return its update_id.

        Like Telegram, an update of a kind the bot did not ask for is never queued.
        """
        update = PendingUpdate(next(self._update_ids), kind, payload)
        allowed = self.webhook.allowed_updates if self.webhook.url else self.allowed_updates
        if allowed and kind not in allowed:
            return update.update_id
        self.updates.append(update)
        while len(self.updates) > self.config.max_updates_kept:
            self.updates.popleft()
        self.recent[update.update_id] = update
        while len(self.recent) > self.config.max_updates_kept:
            del self.recent[next(iter(self.recent))]
        self.notify()
        return update.update_id

    def redeliver(self, update_id: int) -> bool:
        """Queue a recent update again, same id and content, as Telegram does after a webhook
        answer timed out or a poller restarted from an unconfirmed offset. False if unknown."""
        update = self.recent.get(update_id)
        if update is None:
            return False
        self.updates.append(update)
        self.notify()
        return True

    def confirm(self, offset: int) -> None:
        """Forget updates before `offset`; a negative offset keeps only the last -offset ones."""
        if offset < 0:
            while len(self.updates) > -offset:
                self.updates.popleft()
            return
        while self.updates and self.updates[0].update_id < offset:
            self.updates.popleft()

    def drop_pending_updates(self) -> None:
        self.updates.clear()
        self.notify()

    # -- files ---------------------------------------------------------------------------------

    def store_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int = 0,
        height: int = 0,
    ) -> StoredFile:
        number = next(self._file_ids)
        digest = hashlib.sha256(data).hexdigest()
        extension = _FILE_EXTENSIONS.get(mime_type or "", "")
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"sandbox-{kind}-{number}-{digest[:16]}",
            file_unique_id=f"u{digest[:15]}",
            kind=kind,
            data=data,
            file_path=f"{kind}s/file_{number}{extension}",
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    # -- callback queries ---------------------------------------------------------------------

    def new_callback(self, user_id: int, message_id: int, data: str) -> CallbackRecord:
        query_id = f"{next(self._callback_ids)}{user_id % 1_000_000:06d}"
        record = CallbackRecord(query_id, user_id, message_id, data, created=self.clock())
        self.callbacks[query_id] = record
        return record

    def answerable_callback(self, query_id: str) -> CallbackRecord | None:
        """The query if it can still be answered: known, unanswered and not too old."""
        record = self.callbacks.get(query_id)
        if record is None or record.answer is not None:
            return None
        if self.clock() - record.created > self.config.callback_query_ttl:
            return None
        return record
