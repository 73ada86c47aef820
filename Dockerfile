# syntax=docker/dockerfile:1
# Builds with the classic builder too (`docker build -t selfreport .`; the line above is then
# ignored). `make docker-smoke` builds it from a clean clone and runs it (README "Docker").

# Build: dependencies and the project into /venv; catalogues compiled.
FROM python:3.11-slim AS build
# pip's index, when it is not the default one: `docker build --build-arg PIP_INDEX_URL=…`.
# Build arguments only, so no host name is written into the image's configuration.
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_TRUSTED_HOST
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=120
WORKDIR /app
RUN python -m venv /venv
# The dependencies first, read from pyproject.toml, in their own layer: a change to the code
# then reinstalls only the project itself, not the ~40 packages under it.
COPY pyproject.toml README.md ./
RUN /venv/bin/python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
      > /tmp/requirements.txt \
 && /venv/bin/pip install --quiet --use-pep517 -r /tmp/requirements.txt
COPY bot bot
COPY handlers handlers
# Editable: the code stays in /app, where bot.config.PROJECT_ROOT finds locales/ and migrations/.
RUN /venv/bin/pip install --quiet --no-deps -e . \
 && /venv/bin/python -m compileall -q bot handlers
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
# 8443 the webhook, 9090 health and metrics (METRICS_LISTEN), 8080 the sandbox / demo page.
EXPOSE 8443 9090 8080
# `run` migrates too; doing it first makes a failed migration stop the container visibly.
CMD ["sh", "-c", "selfreport db upgrade && exec selfreport run"]
