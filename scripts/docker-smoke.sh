#!/usr/bin/env bash
# Build the image from a clean clone of the current commit and check it runs (README "Docker"):
#   --help; `selfreport db upgrade` into a named volume at /data; `selfreport demo` on that
#   volume with its port published, its chat page and sandbox API answering from the host, and
#   the bot answering a /start sent through the sandbox's control API.
# With COMPOSE=1 also docker-compose.yml's services, wired by hand with `docker run` (PostgreSQL
# from a locally built image) when Compose v2 is not installed: see compose_smoke below.
# Every wait has a timeout; the exit status is non-zero on any failure; containers, volumes and
# networks it made are removed on exit (the images are kept, so a second run reuses the cache).
#
# Environment: IMAGE (selfreport:smoke), SMOKE_PORT (18080, on 127.0.0.1), BUILD_TIMEOUT (2400 s),
#   DOCKER_LOCAL (../shared/tools/docker-local.sh: started when `docker info` fails),
#   PIP_INDEX_URL / PIP_EXTRA_INDEX_URL / PIP_TRUSTED_HOST (passed on as build arguments if set),
#   COMPOSE=1, PG_IMAGE (selfreport-smoke/postgres:local).
set -euo pipefail

IMAGE=${IMAGE:-selfreport:smoke}
PORT=${SMOKE_PORT:-18080}
BUILD_TIMEOUT=${BUILD_TIMEOUT:-2400}
DOCKER_LOCAL=${DOCKER_LOCAL:-../shared/tools/docker-local.sh}
PG_IMAGE=${PG_IMAGE:-selfreport-smoke/postgres:local}
RUN_ID=selfreport-smoke-$$
TMP=$(mktemp -d)
CONTAINERS=() VOLUMES=() NETWORKS=()

say() { printf '\n== %s\n' "$*"; }
ok() { printf 'ok: %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

cleanup() {
  local status=$?
  set +e
  if [ "$status" -ne 0 ]; then
    for c in "${CONTAINERS[@]}"; do
      echo "--- last log lines of $c" >&2
      timeout 20 docker logs --tail 40 "$c" >&2 2>&1
    done
  fi
  for c in "${CONTAINERS[@]}"; do timeout 60 docker rm -f -v "$c" >/dev/null 2>&1; done
  for v in "${VOLUMES[@]}"; do timeout 60 docker volume rm -f "$v" >/dev/null 2>&1; done
  for n in "${NETWORKS[@]}"; do timeout 60 docker network rm "$n" >/dev/null 2>&1; done
  rm -rf "$TMP"
  [ "$status" -eq 0 ] && echo "docker-smoke: all checks passed" || echo "docker-smoke: FAILED" >&2
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# HTTP from the host, bounded: `http GET URL [BODY_JSON]` prints the body; fails on non-2xx.
http() {
  python3 - "$@" <<'PY'
import json, sys, urllib.request
method, url = sys.argv[1], sys.argv[2]
data = sys.argv[3].encode() if len(sys.argv) > 3 else None
req = urllib.request.Request(url, data=data, method=method,
                             headers={"Content-Type": "application/json"} if data else {})
with urllib.request.urlopen(req, timeout=70) as resp:
    sys.stdout.write(resp.read().decode("utf-8", "replace"))
PY
}

# Poll until `http GET URL` answers (or the timeout): wait_http URL SECONDS
wait_http() {
  local url=$1 deadline=$((SECONDS + $2))
  until http GET "$url" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 1
  done
}

# Send /start as a new sandbox user and wait for the bot's answer: start_check SANDBOX_URL USER_ID
start_check() {
  local base=$1 user=$2 chat
  http POST "$base/sandbox/users" "{\"user_id\": $user, \"first_name\": \"Smoke $user\"}" >/dev/null
  http POST "$base/sandbox/users/$user/send" '{"text": "/start"}' >/dev/null
  # The chat endpoint holds the request until a bot message arrives (wait <= 60 s).
  chat=$(http GET "$base/sandbox/users/$user/chat?wait=45")
  python3 - "$chat" <<'PY'
import json, sys
messages = json.loads(sys.argv[1])["messages"]
answers = [m for m in messages if m.get("from") == "bot"]
if not answers:
    sys.exit("no answer from the bot; chat: " + json.dumps(messages, ensure_ascii=False)[:500])
print("bot answered /start:", (answers[0].get("text") or "").splitlines()[0][:80])
PY
}

image_smoke() {
  say "docker daemon"
  if ! timeout 20 docker info >/dev/null 2>&1; then
    [ -x "$DOCKER_LOCAL" ] || fail "no docker daemon answers and $DOCKER_LOCAL is missing (set DOCKER_LOCAL)"
    timeout 1800 "$DOCKER_LOCAL" up
  fi
  timeout 20 docker info --format 'server {{.ServerVersion}}, storage {{.Driver}}'

  say "clean clone of $(git rev-parse --short HEAD)"
  [ -z "$(git status --porcelain --untracked-files=no)" ] \
    || echo "note: uncommitted changes are not in the image (it is built from the commit)"
  git clone --quiet . "$TMP/src"
  git -C "$TMP/src" log -1 --format='%h %s'

  say "docker build -t $IMAGE (classic builder, timeout ${BUILD_TIMEOUT}s)"
  local args=() start=$SECONDS
  for var in PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST; do
    [ -n "${!var:-}" ] && args+=(--build-arg "$var")
  done
  DOCKER_BUILDKIT=0 timeout "$BUILD_TIMEOUT" docker build ${args[@]+"${args[@]}"} -t "$IMAGE" "$TMP/src"
  ok "built in $((SECONDS - start)) s; $(docker image inspect "$IMAGE" --format '{{.Size}}' \
    | awk '{printf "%.0f MB", $1/1e6}')"
  [ "$(docker image inspect "$IMAGE" --format '{{.Config.User}}')" = selfreport ] \
    || fail "the image does not run as the user selfreport"
  ok "runs as user selfreport"

  say "selfreport --help"
  timeout 120 docker run --rm "$IMAGE" selfreport --help | tee "$TMP/help" | head -n 3
  grep -q '^usage: selfreport' "$TMP/help" || fail "--help printed no usage"
  ok "--help"

  say "selfreport db upgrade into a named volume at /data"
  local vol=$RUN_ID-data
  VOLUMES+=("$vol")
  timeout 60 docker volume create "$vol" >/dev/null
  timeout 300 docker run --rm -v "$vol:/data" "$IMAGE" selfreport db upgrade
  timeout 60 docker run --rm -v "$vol:/data" "$IMAGE" python -c '
import sqlite3
db = sqlite3.connect("file:/data/selfreport.sqlite3?mode=ro", uri=True)
print("alembic version:", db.execute("select version_num from alembic_version").fetchone()[0])'
  ok "migrated /data/selfreport.sqlite3"

  say "selfreport demo --host 0.0.0.0 on the volume, published on 127.0.0.1:$PORT"
  local demo=$RUN_ID-demo
  CONTAINERS+=("$demo")
  timeout 60 docker run -d --name "$demo" -v "$vol:/data" -p "127.0.0.1:$PORT:8080" "$IMAGE" \
    selfreport demo --host 0.0.0.0 --port 8080 >/dev/null
  local base=http://127.0.0.1:$PORT
  wait_http "$base/sandbox/info" 120 || fail "the demo did not answer on $base within 120 s"
  http GET "$base/" | grep -qi '<html' || fail "$base/ is not the chat page"
  ok "chat page $base/"
  http GET "$base/sandbox/info" | head -c 200; echo
  ok "sandbox API $base/sandbox/info"
  # The demo's bot polls once it is started; the page answers before that.
  start_check "$base" 990001 || fail "/start through the sandbox got no answer"
  ok "/start answered"
  [ "$(docker inspect -f '{{.State.Running}}' "$demo")" = true ] || fail "the demo container stopped"
  timeout 60 docker stop -t 20 "$demo" >/dev/null
  ok "demo stopped (exit status $(docker inspect -f '{{.State.ExitCode}}' "$demo"))"
}

# docker-compose.yml's services, wired by hand with `docker run` (no Compose v2 on the machine
# this was written on, and no registry for postgres:16): a user-defined network, the services'
# names as network aliases, the environment and commands read from the file of the clone.
compose_smoke() {
  say "compose services (docker-compose.yml)"
  local net=$RUN_ID-net pgvol=$RUN_ID-pgdata secret
  secret=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
  if docker compose version >/dev/null 2>&1; then
    echo "Compose v2 is installed, but this script wires the services by hand anyway"
  else
    echo "no Compose v2 (\`docker compose\`): wiring docker-compose.yml's services by hand"
  fi

  # PostgreSQL: no registry serves postgres:16 here, so Debian's postgresql on the local base.
  if ! docker image inspect "$PG_IMAGE" >/dev/null 2>&1; then
    say "building $PG_IMAGE (Debian's postgresql on python:3.11-slim)"
    DOCKER_BUILDKIT=0 timeout 1200 docker build -t "$PG_IMAGE" - <<'DOCKERFILE'
FROM python:3.11-slim
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null \
 && rm -rf /var/lib/apt/lists/* && mkdir -p /var/lib/postgresql/data /run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /run/postgresql
USER postgres
ENV PGDATA=/var/lib/postgresql/data
# Like postgres:16's entrypoint, reduced: POSTGRES_USER/PASSWORD/DB on first start.
CMD set -e; B=$(ls -d /usr/lib/postgresql/*/bin); \
    if [ ! -s "$PGDATA/PG_VERSION" ]; then \
      echo "$POSTGRES_PASSWORD" > /tmp/pw; \
      $B/initdb -U "$POSTGRES_USER" --pwfile=/tmp/pw -A scram-sha-256 -D "$PGDATA" >/dev/null; rm /tmp/pw; \
      echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"; \
      $B/pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null; \
      PGPASSWORD="$POSTGRES_PASSWORD" $B/psql -h /run/postgresql -U "$POSTGRES_USER" -d postgres -qc "CREATE DATABASE \"$POSTGRES_DB\""; \
      $B/pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null; \
    fi; \
    exec $B/postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/run/postgresql
DOCKERFILE
  fi

  # The services' environment, commands and health checks as docker-compose.yml gives them
  # (merge keys and ${VAR:-default} / ${VAR:?error} resolved like Compose), read with the
  # image's own PyYAML: bash arrays ENV_<service>, CMD_<service>, HEALTH_<service>.
  local spec
  spec=$(timeout 60 docker run --rm -i -e WEBHOOK_SECRET="$secret" "$IMAGE" python -c '
import os, re, shlex, sys, yaml
services = yaml.safe_load(sys.stdin)["services"]
def interp(value):
    def sub(m):
        name, op, arg = m.group(1), m.group(2), m.group(3)
        value = os.environ.get(name, "")
        if op == ":?" and not value:
            sys.exit(f"docker-compose.yml: {name}: {arg}")
        return value or (arg if op == ":-" else "")
    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", sub, str(value))
for name in ("db", "migrate", "sandbox", "bot1", "bot2"):
    svc = services[name]
    env = [f"{k}={interp(v)}" for k, v in (svc.get("environment") or {}).items()]
    health = (svc.get("healthcheck") or {}).get("test", [])
    health = health[1:] if health[:1] == ["CMD"] else []
    for var, words in (("ENV", env), ("CMD", [interp(c) for c in svc.get("command", [])]),
                       ("HEALTH", health)):
        print(f"{var}_{name}=(" + " ".join(shlex.quote(w) for w in words) + ")")
' < "$TMP/src/docker-compose.yml") || fail "could not read docker-compose.yml"
  eval "$spec"
  [ "${ENV_bot1[*]} ${CMD_bot1[*]}" = "${ENV_bot2[*]} ${CMD_bot2[*]}" ] \
    || fail "bot1 and bot2 differ in docker-compose.yml; this script runs both as bot1"
  local e envs=()
  for e in "${ENV_bot1[@]}"; do envs+=(-e "$e"); done
  printf 'bot1 environment from the file: %s\n' "$(printf '%s ' "${ENV_bot1[@]}" | sed -E 's/(WEBHOOK_SECRET=)[^ ]+/\1…/')"

  NETWORKS+=("$net"); VOLUMES+=("$pgvol")
  timeout 60 docker network create "$net" >/dev/null
  timeout 60 docker volume create "$pgvol" >/dev/null

  say "db (stand-in for postgres:16)"
  CONTAINERS+=("$RUN_ID-db")
  local dbenv=()
  for e in "${ENV_db[@]}"; do dbenv+=(-e "$e"); done
  timeout 60 docker run -d --name "$RUN_ID-db" --network "$net" --network-alias db \
    "${dbenv[@]}" -v "$pgvol:/var/lib/postgresql/data" "$PG_IMAGE" >/dev/null
  # Over TCP: the first start's temporary server (creating the database) listens on no port.
  local deadline=$((SECONDS + 90))
  until docker exec "$RUN_ID-db" sh -c '$(ls -d /usr/lib/postgresql/*/bin)/pg_isready -q -h 127.0.0.1 -U selfreport'; do
    [ "$SECONDS" -lt "$deadline" ] || fail "PostgreSQL not ready within 90 s"
    sleep 2
  done
  ok "PostgreSQL ready"

  say "migrate: ${CMD_migrate[*]}"
  local menv=()
  for e in "${ENV_migrate[@]}"; do menv+=(-e "$e"); done
  timeout 300 docker run --rm --name "$RUN_ID-migrate" --network "$net" "${menv[@]}" \
    "$IMAGE" "${CMD_migrate[@]}"
  ok "migrated PostgreSQL"

  say "sandbox: ${CMD_sandbox[*]}, published on 127.0.0.1:$PORT"
  CONTAINERS+=("$RUN_ID-sandbox")
  timeout 60 docker run -d --name "$RUN_ID-sandbox" --network "$net" --network-alias sandbox \
    -p "127.0.0.1:$PORT:8080" "$IMAGE" "${CMD_sandbox[@]}" >/dev/null
  local base=http://127.0.0.1:$PORT
  wait_http "$base/sandbox/info" 90 || fail "the sandbox did not answer within 90 s"
  ok "sandbox"

  local i mport
  for i in 1 2; do
    say "bot$i: ${CMD_bot1[*]}, network aliases bot$i and bots, 9090 on 127.0.0.1:$((PORT + i))"
    CONTAINERS+=("$RUN_ID-bot$i")
    timeout 60 docker run -d --name "$RUN_ID-bot$i" --network "$net" --network-alias "bot$i" \
      --network-alias bots -p "127.0.0.1:$((PORT + i)):9090" "${envs[@]}" \
      "$IMAGE" "${CMD_bot1[@]}" >/dev/null
  done
  for i in 1 2; do
    mport=$((PORT + i))
    wait_http "http://127.0.0.1:$mport/readyz" 120 || fail "bot$i's /readyz not ready within 120 s"
    printf 'bot%s /readyz: %s\n' "$i" "$(http GET "http://127.0.0.1:$mport/readyz" | head -c 200)"
    timeout 30 docker exec "$RUN_ID-bot$i" "${HEALTH_bot1[@]}" \
      || fail "bot$i: the compose file's health check failed"
    ok "bot$i ready; the compose file's health check passes"
  done
  http GET "$base/sandbox/info" | python3 -c '
import json, sys
url = json.load(sys.stdin)["webhook"]["url"]
print("sandbox webhook:", url)
sys.exit(0 if url == "http://bots:8443/telegram" else "the bots did not set their webhook")'
  start_check "$base" 990002 || fail "/start through the sandbox got no answer from the bots"
  ok "/start answered by the webhook bots"
}

image_smoke
if [ "${COMPOSE:-0}" = 1 ]; then
  compose_smoke
fi
