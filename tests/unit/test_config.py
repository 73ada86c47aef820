from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings


def test_defaults_follow_the_design() -> None:
    settings = load_settings({})
    assert settings.default_timezone == "Asia/Shanghai"
    assert settings.default_locale == "zh_CN"
    assert settings.telegram_api_base_url == "https://api.telegram.org"
    assert settings.send_rate == 30
    assert settings.retention_days == 90
    assert settings.database_url.startswith("sqlite+aiosqlite:///")


def test_missing_token_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="^TELEGRAM_BOT_TOKEN is not set"):
        load_settings({}).require_token()


def test_admin_ids_accept_commas_and_spaces() -> None:
    settings = load_settings({"ADMIN_TELEGRAM_IDS": "12, 34;56"})
    assert settings.admin_telegram_ids == {12, 34, 56}


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"ADMIN_TELEGRAM_IDS": "12,abc"}, "ADMIN_TELEGRAM_IDS"),
        ({"DEFAULT_TIMEZONE": "Mars/Olympus"}, "DEFAULT_TIMEZONE"),
        ({"DEFAULT_LOCALE": "fr"}, "DEFAULT_LOCALE"),
        ({"SEND_RATE": "0"}, "SEND_RATE"),
        ({"RETENTION_DAYS": "many"}, "RETENTION_DAYS"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
    ],
)
def test_bad_values_give_one_line_naming_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    message = str(caught.value)
    assert message.startswith(f"{variable}:")
    assert "\n" not in message


def test_base_url_derives_bot_and_file_urls() -> None:
    settings = load_settings({"TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/"})
    assert settings.bot_api_url == "http://127.0.0.1:8081/bot"
    assert settings.bot_file_url == "http://127.0.0.1:8081/file/bot"


GOOD_SECRET = "k3J9_x-Qm2Lp7Rt5Vw8Yz1Ab4Cd6Ef0Gh"  # 34 characters of Telegram's set
HOOK = {"WEBHOOK_URL": "https://bot.example.org/telegram"}


@pytest.mark.parametrize("secret, why", [
    (None, "required with WEBHOOK_URL"),
    ("", "required with WEBHOOK_URL"),  # WEBHOOK_SECRET= : one line, not a traceback
    ("s3cret", "too short"),
    ("change-me-to-a-long-random-string", "placeholder"),
    ("a" * 40, "placeholder"),  # long but predictable
    (GOOD_SECRET[:-2] + "!!", "only letters"),
    ("x" * 300, "only letters"),  # over Telegram's 256
])
def test_webhook_mode_refuses_a_weak_secret(secret: str | None, why: str) -> None:
    env = dict(HOOK) if secret is None else {**HOOK, "WEBHOOK_SECRET": secret}
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    message = str(caught.value)
    assert message.startswith("WEBHOOK_SECRET: ") and "\n" not in message
    assert why in message


def test_a_strong_secret_starts_webhook_mode_and_polling_needs_none() -> None:
    assert load_settings({**HOOK, "WEBHOOK_SECRET": GOOD_SECRET}).webhook_secret == GOOD_SECRET
    assert load_settings({"WEBHOOK_SECRET": ""}).webhook_secret is None
    assert load_settings({}).webhook_url is None


@pytest.mark.parametrize("url, ok", [
    ("https://bot.example.org/telegram", True),
    ("https://bot.example.org:8443/telegram", True),
    ("https://bot.example.org:88/hook", True),
    ("http://bot.example.org/telegram", False),  # Telegram posts over HTTPS only
    ("https://bot.example.org:8080/telegram", False),  # nor to other ports
    ("ftp://bot.example.org/telegram", False),
])
def test_telegram_only_reaches_https_on_its_ports(url: str, ok: bool) -> None:
    env = {"WEBHOOK_URL": url, "WEBHOOK_SECRET": GOOD_SECRET}
    if ok:
        assert load_settings(env).webhook_url == url
    else:
        with pytest.raises(ConfigError, match="^WEBHOOK_URL: "):
            load_settings(env)


def test_a_bot_api_server_of_our_own_may_post_plain_http() -> None:
    env = {"WEBHOOK_URL": "http://bots:8443/telegram", "WEBHOOK_SECRET": GOOD_SECRET,
           "TELEGRAM_API_BASE_URL": "http://sandbox:8080"}
    assert load_settings(env).webhook_url == "http://bots:8443/telegram"
