# syntax=docker/dockerfile:1
# Build: dependencies and the project into /venv; catalogues compiled.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot bot
COPY handlers handlers
RUN python -m venv /venv && /venv/bin/pip install -e .
COPY locales locales
RUN /venv/bin/pybabel compile -d locales
COPY migrations migrations
COPY alembic.ini ./

# Run: the same paths (the editable install points at /app), as an unprivileged user.
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 selfreport && mkdir /data && chown selfreport /data
COPY --from=build /venv /venv
COPY --from=build /app /app
WORKDIR /app
USER selfreport
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/selfreport.sqlite3
VOLUME ["/data"]
EXPOSE 8443
# `run` migrates too; doing it first makes a failed migration stop the container visibly.
CMD ["sh", "-c", "selfreport db upgrade && exec selfreport run"]
