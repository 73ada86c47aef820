# Everything the project needs is installed by these targets from a bare Python 3.11.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo run test test-browser chromium lint typecheck i18n-extract i18n-update i18n-compile bench bench-full clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/selfreport demo

run: $(STAMP)
	$(BIN)/selfreport run

# The suite runs on PYTEST_WORKERS processes (pytest-xdist), each with its own SQLite files
# and PostgreSQL database (tests/conftest.py); most of a test's time is spent waiting on the
# bot, the sandbox or the database, so more workers than this machine's 2 cores pay.
# Tests of one xdist_group run on one worker (tests/conftest.py). PYTEST_WORKERS=0 runs the
# suite in one process.
PYTEST_WORKERS ?= 4

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# The page's end-to-end tests: Playwright drives Debian's Chromium (run `make chromium` first,
# as root; Playwright's own browser download is never used).
test-browser: $(STAMP)
	$(BIN)/python -m pytest tests/browser $(PYTEST_ARGS)

chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

typecheck: $(STAMP)
	$(BIN)/mypy

# Catalogues: extract the template, merge it into every locale (under a lock, so several
# people can run it side by side), compile the .mo files.
EXTRACT = $(BIN)/pybabel extract -F pyproject.toml -o locales/messages.pot --no-wrap \
	  -k lazy_gettext -k ngettext:1,2 -k pgettext:1c,2 --add-comments=Translators: \
	  --project=selfreport bot handlers
UPDATE = $(BIN)/pybabel update -i locales/messages.pot -d locales --no-wrap --ignore-obsolete

i18n-extract: $(STAMP)
	flock locales/.po.lock $(EXTRACT)

i18n-update: $(STAMP)
	flock locales/.po.lock sh -c '$(EXTRACT) && $(UPDATE)'

i18n-compile: $(STAMP)
	$(BIN)/pybabel compile -d locales --statistics

# The quick ones; the 100,000-member digest, memory and 10,000-recipient notice benchmarks
# take minutes to build their data: their commands are in benchmarks/README.md.
bench: $(STAMP)
	$(BIN)/python benchmarks/faq_eval.py
	$(BIN)/python benchmarks/throughput.py --members 100

# Every benchmark at full size (100,000 members, 10,000-recipient notices: an hour or more),
# each exiting non-zero on a missed goal; one JSON summary in $(BENCH_OUT). PostgreSQL from
# TEST_DATABASE_URL (default: the local server's `test` database).
BENCH_OUT ?= bench-full.json

bench-full: $(STAMP)
	$(BIN)/python benchmarks/full.py --out $(BENCH_OUT)

# Build the image from a clean clone of HEAD and run it: --help, `db upgrade` into a volume,
# the demo answering /start (README "Docker"). COMPOSE=1 also wires docker-compose.yml's
# services by hand. Starts a daemon with DOCKER_LOCAL when `docker info` fails.
DOCKER_LOCAL ?= $(CURDIR)/../shared/tools/docker-local.sh

.PHONY: docker-smoke
docker-smoke:
	DOCKER_LOCAL='$(DOCKER_LOCAL)' COMPOSE='$(COMPOSE)' scripts/docker-smoke.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
