# DataGuardian Pro. `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# two pytest-xdist workers: each system tier module (its booted hosts) and the integration
# tier (shared Redis and PostgreSQL) whole in one worker, then unit tests (tests/conftest.py)
PARALLEL ?= -n 2
APT_PACKAGES := git curl openssl python3-venv tesseract-ocr tesseract-ocr-nld tesseract-ocr-eng \
	chromium ansible ansible-lint fonts-dejavu-core

.PHONY: help deps services venv demo demo-down stack-demo scan-demo test test-unit test-integration test-system lint format bench clean deb trackers autoconsent

help:
	@echo "make deps     install the Debian packages the scanners need (root)"
	@echo "make venv     create $(VENV) with dataguardian and its test tools"
	@echo "make demo     the .deb deployed by the playbook on a test host, a scan of each kind (root)"
	@echo "make demo-down  remove the demo's test host"
	@echo "make stack-demo the services on this machine without systemd, a scan of each kind"
	@echo "make scan-demo  scan the bundled samples with \`dgp scan\` only (no services)"
	@echo "make services start the Redis and PostgreSQL the integration tier uses (root)"
	@echo "make test     run every test tier"
	@echo "make test-system  the system tier: booted systemd test hosts (root; tests/system/README.md)"
	@echo "make lint     ruff check and format check, ansible-lint (production profile)"
	@echo "make bench    print the engine speed and quality figures"
	@echo "make deb      build build/dataguardian_VERSION_ARCH.deb (needs PyPI; root installs build tools)"
	@echo "make trackers refresh the website scanner's tracker database (OCD=file-or-url)"
	@echo "make autoconsent  fetch the pinned @duckduckgo/autoconsent rule set from npm"

deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(BIN)/dgp: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

venv: $(BIN)/dgp

demo: deps venv
	bash scripts/demo.sh

demo-down:
	python3 tests/system/testhost.py down $${DGP_DEMO_HOST:-dgpdemo}

stack-demo: deps venv
	bash scripts/stack-demo.sh

scan-demo: deps venv
	@echo "== code scan of samples/code =="
	$(BIN)/dgp scan code samples/code
	@echo "== document scan of samples/documents =="
	$(BIN)/dgp scan document samples/documents
	@echo "== database scan of samples/database/crm.sqlite =="
	$(BIN)/dgp scan database samples/database/crm.sqlite
	@echo "== image scan of samples/image =="
	$(BIN)/dgp scan image samples/image
	@echo "== ai_model scan of samples/ai_model =="
	$(BIN)/dgp scan ai_model samples/ai_model \
		--questionnaire samples/ai_model/ai-act-questionnaire.json

services:
	bash tests/services/up.sh

test: deps services venv
	$(BIN)/python -m pytest tests -q $(PARALLEL)

test-integration: deps services venv
	$(BIN)/python -m pytest tests/integration -q

test-system: deps services venv
	$(BIN)/python -m pytest tests/system -q

test-unit: venv
	$(BIN)/python -m pytest tests/unit -q $(PARALLEL)

lint: venv
	$(BIN)/ruff check dgp tests bench
	$(BIN)/ruff format --check dgp tests bench
	@command -v ansible-lint >/dev/null || \
		{ echo "make lint: ansible-lint is missing; \`make deps\` (root) installs it" >&2; exit 1; }
	cd ansible && ansible-lint

format: venv
	$(BIN)/ruff format dgp tests bench

bench: venv
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/quality.py
	$(BIN)/python bench/website.py

deb:
	bash scripts/build-deb.sh

# The website scanner's data (dgp/scanners/website/data/README.md): refreshed here,
# committed, shipped; nothing is fetched at scan time.
OCD ?= https://raw.githubusercontent.com/jkwakman/Open-Cookie-Database/main/open-cookie-database.csv
trackers:
	python3 scripts/refresh-trackers.py --ocd "$(OCD)"

autoconsent:
	bash scripts/fetch-autoconsent.sh

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
