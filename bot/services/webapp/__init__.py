"""The leaders' dashboard (Telegram Mini App): sign-in from Telegram's initData, the page's
session tokens, and the dashboard's figures. Served over HTTP by bot.webapp."""
