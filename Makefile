# The two commands: `make run` and `make test`. Everything else is a helper for them.
SHELL := /bin/sh
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
DEMO_ORG ?= Northwind Engineering
DEMO_EMAIL ?= owner@northwind.example
HOST ?= 127.0.0.1
PORT ?= 8000
export ARREARS_HOME ?= $(CURDIR)/var

.PHONY: setup run test test-sqlite test-postgres lint bench clean

# Set up once, again whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml scripts/system-packages.sh
	@scripts/system-packages.sh
	@test -x $(BIN)/python || "$$(scripts/find-python)" -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

setup: $(VENV)/.installed

# The demo's reminders go to files under var/mail (one .eml per message) unless ARREARS_EMAIL_URL says otherwise.
run: export ARREARS_EMAIL_URL ?= file://$(ARREARS_HOME)/mail
run: setup
	@mkdir -p "$(ARREARS_HOME)"
	@test -s "$(ARREARS_HOME)/demo-password" || $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(12))" > "$(ARREARS_HOME)/demo-password"
	@$(BIN)/arrears init --no-input --org "$(DEMO_ORG)" --country GB --email "$(DEMO_EMAIL)" \
		--accounts-email accounts@northwind.example --password-file "$(ARREARS_HOME)/demo-password" \
		--address "1 Demo Street, London EC1A 1AA"
	@$(BIN)/arrears demo --seed 1 || echo "(the demo was not loaded: see above; a second run finds it there already)"
	@$(BIN)/arrears org set bank --iban "GB82 WEST 1234 5698 7654 32" --bic WESTGB2L >/dev/null
	@$(BIN)/arrears aging
	@$(BIN)/arrears apply || echo "(some messages could not be sent; see arrears plan and the log above)"
	@echo "  Today's reminders went to $$ARREARS_EMAIL_URL; arrears plan --explain says why each invoice got what it got."
	@echo
	@echo "  Open http://$(HOST):$(PORT)/ and log in as $(DEMO_EMAIL) with password $$(cat "$(ARREARS_HOME)/demo-password")"
	@echo
	@$(BIN)/arrears serve --host $(HOST) --port $(PORT)

# The whole suite on SQLite, then again on the PostgreSQL server at $(PG_URL).
test: setup lint test-sqlite test-postgres

# ruff, then the import contracts of pyproject.toml (who may import whom: ARCHITECTURE.md).
lint: setup
	@$(BIN)/ruff check .
	@$(BIN)/lint-imports --no-logo --no-cache

test-sqlite: setup
	@echo "== tests on SQLite"
	@ARREARS_HOME=$(CURDIR)/var/test-sqlite $(BIN)/pytest -n 2

test-postgres: setup
	@echo "== tests on PostgreSQL ($(PG_URL))"
	@ARREARS_HOME=$(CURDIR)/var/test-postgres ARREARS_DATABASE_URL=$(PG_URL) $(BIN)/pytest -n 2

bench: setup
	@$(BIN)/python bench/import.py --rows 1000000

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
