# 整改督办台账 — the two commands in README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: install test test-sqlite test-postgres run bench clean

install: $(BIN)/tracker

$(BIN)/tracker: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/tracker
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

# The whole suite on SQLite (browser tests included), then again on the real PostgreSQL.
test: $(VENV)/.test-deps
	$(BIN)/python -m pytest -q
	TRACKER_TEST_DB=postgresql $(BIN)/python -m pytest -q -m "not browser"

test-sqlite: $(VENV)/.test-deps
	$(BIN)/python -m pytest -q

test-postgres: $(VENV)/.test-deps
	TRACKER_TEST_DB=postgresql $(BIN)/python -m pytest -q -m "not browser"

# Web app and scheduler together on the SQLite database in instance/; Ctrl-C stops both.
run: install
	$(BIN)/tracker db upgrade
	$(BIN)/tracker seed-demo
	@echo "整改督办台账: http://$(HOST):$(PORT)/"
	trap 'kill 0' INT TERM EXIT; \
	$(BIN)/tracker scheduler & \
	$(BIN)/tracker run --host $(HOST) --port $(PORT)

bench: $(VENV)/.test-deps
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) instance/tracker.db
