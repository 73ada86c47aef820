"""The leaders' dashboard over HTTP (a Telegram Mini App): the page at /webapp/ and its JSON
API under /webapp/api/, served by the bot process itself (bot.webapp.server)."""
