# PolicyHub developer commands. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core

.PHONY: demo test lint format system-packages serve worker clean-demo

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

## Install WeasyPrint's Debian libraries when they are missing (needs root).
system-packages:
	@missing=""; for pkg in $(SYSTEM_PACKAGES); do \
	  dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "Missing Debian packages:$$missing. Run: sudo apt-get install$$missing"; exit 1; fi; \
	fi

## Run the demo on SQLite: migrate, seed nine approved policies and demo users, serve.
demo: system-packages $(VENV)/.installed
	$(BIN)/python manage.py migrate --no-input
	POLICYHUB_BASE_URL=http://$(HOST):$(PORT) $(BIN)/python manage.py setup_demo --url http://$(HOST):$(PORT)/
	POLICYHUB_BASE_URL=http://$(HOST):$(PORT) $(BIN)/python manage.py runserver $(HOST):$(PORT)

## Run the test suite (PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set).
test: system-packages $(VENV)/.installed
	$(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff format .

## Serve without seeding (for PostgreSQL deployments after `migrate`).
serve: $(VENV)/.installed
	POLICYHUB_BASE_URL=$${POLICYHUB_BASE_URL:-http://$(HOST):$(PORT)} $(BIN)/python manage.py runserver $(HOST):$(PORT)

worker: $(VENV)/.installed
	$(BIN)/celery -A policyhub worker --loglevel=INFO

clean-demo:
	rm -rf var/
