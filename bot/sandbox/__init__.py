"""A local stand-in for the Telegram Bot API, for tests, benchmarks and the demo.

python-telegram-bot runs against it unchanged::

    server = SandboxServer(SandboxConfig())
    await server.start()                      # port 0: a free port; see server.url
    bot = telegram.Bot(config.token, base_url=f"{server.url}/bot",
                       base_file_url=f"{server.url}/file/bot")

Bot API
=======
``/bot<token>/<method>`` (GET or POST; form fields, multipart or a JSON body) answers as
Telegram does: ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N,
"description": "...", "parameters"?: {...}}`` with Telegram's own error texts, so PTB raises
BadRequest, Forbidden, RetryAfter, Conflict, InvalidToken or NetworkError as it would.
Another token gets 401 "Unauthorized", an unknown method 404 "Not Found".

Methods: getMe, getUpdates (offset/limit/timeout/allowed_updates; a newer getUpdates ends a
waiting one with 409 "Conflict: terminated by other getUpdates request..."; 409 while a
webhook is set), setWebhook / deleteWebhook / getWebhookInfo (updates are POSTed one at a
time, in order, with ``X-Telegram-Bot-Api-Secret-Token``, retried with backoff on non-2xx
or connection errors; as on Telegram only https:// on ports 443, 80, 88 or 8443, and with
``webhook_loopback_http`` also http:// to 127.0.0.1/::1/localhost on any port),
sendMessage, editMessageText,
editMessageCaption, editMessageReplyMarkup, deleteMessage, copyMessage, forwardMessage,
answerCallbackQuery, sendPhoto, sendDocument (multipart upload or a known file_id),
sendChatAction, setMyCommands / getMyCommands / deleteMyCommands, getFile (then
``/file/bot<token>/<file_path>``), getChat.

Limits: text 4096 characters after HTML parsing (as tdlib counts), caption 1024,
callback answers 200 characters; parse_mode HTML is validated like Telegram (tdlib's parser
and messages; ``<a href="tg://user?id=N">`` becomes a text_mention of a known user);
Markdown text is kept as written. Keyboards (bot/sandbox/markup.py): at most 10 kB of JSON,
100 inline buttons and 8 a row (300 and 12 for reply keyboards) — "reply markup is too
long"; non-empty button texts; callback_data 1-64 bytes; URL buttons http(s):// with a host
or tg://, never tg://user?id= ("BUTTON_USER_PRIVACY_RESTRICTED"). Photos must decode
(Pillow; else "IMAGE_PROCESS_FAILED"), at most 10 MB, width + height <= 10,000, ratio <= 20.
Sends, edits, answerCallbackQuery and sendChatAction are rate limited by token buckets
(``global_rate`` 30/s; ``per_chat_rate`` 1/s after a burst of ``per_chat_burst`` 3; 20 a
minute in a group) and answered 429 with a whole ``retry_after`` when over: with no
injected faults, every 429 is one the bot earned, as on Telegram. Only users who wrote to
the bot can be written to (403
"bot can't initiate conversation with a user"); blocked users give 403 "bot was blocked by
the user".

Control API (JSON; errors are ``{"error": "..."}`` with 400, or 404 for unknown users)
======================================================================================
``POST /sandbox/users`` ``{"user_id", "first_name", "last_name"?, "language_code"?,
"phone_number"?}`` creates or updates a user (fields left out keep their value; null
clears one) and returns it.
``GET /sandbox/users`` lists users: id, names, language_code, phone_number, blocked, started.
``POST /sandbox/users/{id}/send`` with exactly one of:
  ``{"text": "..."}`` (``/commands`` get a bot_command entity),
  ``{"contact": true}`` (the user's own phone; contact.user_id = the user),
  ``{"contact": {"phone_number", "user_id"?, "first_name"?, "last_name"?}}`` (someone else's;
  no user_id unless given),
  ``{"forward": {"text", "from_chat_title"?, "sender_user_name"?}}`` (forward_origin
  "channel" when titled, else "hidden_user"),
  ``{"document": {"file_name", "content_base64", "mime_type"?, "caption"?}}``,
  ``{"photo": {"content_base64", "caption"?}}`` (400 unless Telegram would take the photo);
  returns ``{"update_id", "message_id"}``. Sending marks the user as having started the bot
  and, like Telegram's "Restart", lifts a block.
``POST /sandbox/users/{id}/press`` ``{"message_id", "callback_data"}`` or ``{"message_id",
"button": "label"}`` (404 if the message has no such inline button; explicit callback_data
need not be on the message, to play stale buttons), optional ``"timeout"``; waits up to
``callback_answer_timeout`` for answerCallbackQuery: ``{"answered": true, "text",
"show_alert", "url", "callback_query_id"}`` or ``{"answered": false, ...}``.
``GET /sandbox/users/{id}/chat?after=ID&wait=SECONDS`` → ``{"messages": [...], "version"}``;
each message has message_id, from ("bot"/"user"), date, text/caption (after parsing),
entities, parse_mode, html (the source as sent with parse_mode HTML), reply_markup (as
sent), photo/document ({file_id, file_name, file_size, mime_type}), contact, forward,
edited, deleted. ``wait`` long-polls until a bot message newer than ``after`` exists;
``since_version=V`` instead waits for any change (new, edited or deleted message).
``POST /sandbox/users/{id}/block`` and ``/unblock`` (the bot gets a my_chat_member update).
``GET /sandbox/files/{file_id}`` → the raw bytes of any stored file.
``POST /sandbox/faults`` ``{"rate_429", "rate_5xx", "delay_ms", "seed", "retry_after",
"methods"?}``: a ``random.Random(seed)`` draw per call picks 429 (with retry_after) or
500/502, not carried out; ``delay_ms`` delays the answer of calls that are carried out.
Random 429s are harsher than Telegram, whose 429s come only from exceeding its limits: with
``rate_429`` 0 and the limits on (the default config) the sandbox behaves that way.
By default every method but getUpdates, getMe, setWebhook, deleteWebhook, getWebhookInfo
and setMyCommands. ``{}`` turns faults off; ``GET /sandbox/faults`` shows them.
``POST /sandbox/updates/{update_id}/redeliver`` queues a recent update again with the same
id and content (a duplicate delivery); 404 for an id no longer kept.
``GET /sandbox/stats`` → ``{"calls": {method: n}, "errors": {"400", "403", "429", "5xx",
...}, "faults": {"429", "5xx", "delayed"}, "messages_per_chat": {chat_id: n},
"flood_limited": {chat_id: n}}`` (429s from the rate limits, not injected).
``POST /sandbox/reset`` clears users, chats, updates, files, stats, faults and rate
buckets; the bot's webhook and commands stay, and update_id keeps growing (a running
bot's offset stays valid). ``GET /sandbox/info``: the bot, its webhook, pending updates.

When a program that knows the bot attaches itself (``SandboxServer.attach_demo``, see
bot/sandbox/hooks.py; ``selfreport demo`` does), three more endpoints answer; otherwise 404:
``GET /sandbox/demo/people`` (per user: name, unit, role, linked, digest),
``GET /sandbox/demo/clock`` (``now``, ``timezone``, ``presets`` — prompt, reminders, deadline,
digest — and a sample rumour per locale), ``POST /sandbox/demo/clock`` ``{"at": "ISO"}``
(moves the bot's clock there and runs what is due, as ``selfreport tick --at``; 400 with a
reason for a bad time). Messages are then dated by the bot's clock.

``GET /`` is the chat page (bot/sandbox/static/: index.html, app.js, style.css, served as
they are under ``/static/``): users with unit and role, chats rendered as Telegram does,
inline and reply keyboards, files, a text box, a forwarded sample rumour, block/unblock, the
demo clock, labels in Chinese or English by the browser's language; ``/?user=ID`` opens a chat.

``SandboxClient`` wraps the control API; ``serve_forever`` runs the sandbox for the CLI.
"""

from __future__ import annotations

from bot.sandbox.client import SandboxClient, SandboxError
from bot.sandbox.config import SandboxConfig
from bot.sandbox.server import SandboxServer, create_app, serve_forever

__all__ = [
    "SandboxClient",
    "SandboxConfig",
    "SandboxError",
    "SandboxServer",
    "create_app",
    "serve_forever",
]
