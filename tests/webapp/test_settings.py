"""WEBAPP_* settings: a clear one-line refusal for an address Telegram would not open."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings


def test_the_dashboard_address() -> None:
    assert load_settings({}).webapp_url is None
    settings = load_settings({"WEBAPP_URL": "https://bot.example.org/webapp"})
    assert settings.webapp_url == "https://bot.example.org/webapp/"
    assert settings.webapp_listen == "0.0.0.0:8088" and settings.webapp_init_max_age == 3600
    with pytest.raises(ConfigError, match="WEBAPP_URL: .*https"):
        load_settings({"WEBAPP_URL": "http://bot.example.org/webapp/"})
    sandbox = load_settings({"WEBAPP_URL": "http://127.0.0.1:8088/webapp/",
                             "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081"})
    assert sandbox.webapp_url == "http://127.0.0.1:8088/webapp/"
    for bad in ({"WEBAPP_URL": "bot.example.org"}, {"WEBAPP_LISTEN": "8088"},
                {"WEBAPP_INIT_MAX_AGE": "0"}, {"WEBAPP_SESSION_MINUTES": "100000"}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            load_settings(bad)
