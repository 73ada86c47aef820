"""Business logic, free of Telegram: takes plain data, `now` and a session."""
