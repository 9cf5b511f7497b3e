# Revo: `make demo` sets everything up and runs the demo; `make test` runs lint and tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements/base.txt requirements/dev.txt | cksum | cut -d' ' -f1)
MANAGE := $(PY) manage.py
HOST ?= 0.0.0.0
PORT ?= 8000

.DEFAULT_GOAL := help
QUEUES := default,agents.sdr,agents.sales,agents.negotiation,agents.finance,agents.pipeline,mail
CELERY := $(VENV)/bin/celery -A revo

.PHONY: help install services demo serve web worker beat stop status migrate test lint format bench clean destroy

help: ## List the targets
	@grep -hE '^[a-z][a-z_-]*:.*## ' $(MAKEFILE_LIST) | sort | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements/base.txt requirements/dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) ## Create .venv and install the pinned requirements

services: install ## Start the embedded PostgreSQL and Redis (unless DATABASE_URL / REDIS_URL are set)
	$(PY) -m revo.embedded start

migrate: services ## Apply migrations to the public schema and every tenant
	$(MANAGE) migrate_schemas --verbosity 0

demo: export LOG_LEVEL ?= WARNING
demo: migrate ## Demo tenant acme (a user per role), demo data, one pipeline run, where to review
	$(MANAGE) setup_demo
	$(MANAGE) setup_schedules --tenant acme
	$(MANAGE) seed_demo --tenant acme
	$(MANAGE) run_pipeline --tenant acme --sync
	@echo
	@echo "LLM backend: $${LLM_BACKEND:-$$( [ -n "$$OLLAMA_URL" ] && echo ollama || echo 'template (offline demo drafts, no model)')}"
	@echo "Review the drafts: make serve, then open http://acme.localhost:8000/admin/reviews/reviewitem/"
	@echo "and sign in with a user above (admin decides everything; sdr, sales, finance their own)."

serve: migrate ## Web server + a Celery worker + beat on the embedded services (Ctrl-C stops all)
	@trap 'kill 0' EXIT INT TERM; \
	$(CELERY) worker -Q $(QUEUES) --loglevel INFO --concurrency 2 -n revo@%h & \
	$(CELERY) beat --loglevel INFO & \
	$(MANAGE) runserver $(HOST):$(PORT)

web: migrate ## Only the development web server
	$(MANAGE) runserver $(HOST):$(PORT)

worker: migrate ## Only a Celery worker on every queue
	$(CELERY) worker -Q $(QUEUES) --loglevel INFO --concurrency 2 -n revo@%h

beat: migrate ## Only the tenant-aware beat scheduler
	$(CELERY) beat --loglevel INFO

stop: ## Stop the embedded PostgreSQL and Redis
	@if [ -x $(PY) ]; then $(PY) -m revo.embedded stop; else echo "nothing to stop"; fi

status: install ## Show whether the embedded services are running
	$(PY) -m revo.embedded status

lint: install ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## Format and auto-fix with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint ## Lint, then run the test suite on the embedded services
	$(PY) -m revo.embedded start
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: services ## Run every benchmark in bench/ (each ends with a RESULT line)
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean: ## Remove caches (keeps .venv and the embedded data)
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

destroy: stop ## Stop the services and delete .revo/ (all embedded data)
	rm -rf .revo
