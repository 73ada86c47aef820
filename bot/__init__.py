"""selfreport: daily health self-reporting for an organisation, over Telegram."""
