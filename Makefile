# 整改督办台账 — the two commands in README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: install test test-sqlite test-postgres run bench parse-report clean

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

# Web app, scheduler and a local mail sink (mails are printed here) on the SQLite database in
# instance/; Ctrl-C stops all three. Set MAIL_SERVER/MAIL_PORT to use a real SMTP server instead.
DEMO_MAIL_PORT ?= 8025
run: $(VENV)/.demo-deps
	$(BIN)/tracker db upgrade
	$(BIN)/tracker seed-demo
	@echo "整改督办台账: http://$(HOST):$(PORT)/  （演示邮件打印在本终端，SMTP 127.0.0.1:$(DEMO_MAIL_PORT)）"
	trap 'kill 0' INT TERM EXIT; \
	export MAIL_SERVER=$${MAIL_SERVER:-127.0.0.1} MAIL_PORT=$${MAIL_PORT:-$(DEMO_MAIL_PORT)}; \
	$(BIN)/python -m aiosmtpd -n -c aiosmtpd.handlers.Debugging -l 127.0.0.1:$(DEMO_MAIL_PORT) & \
	$(BIN)/tracker scheduler & \
	$(BIN)/tracker run --host $(HOST) --port $(PORT)

$(VENV)/.demo-deps: $(BIN)/tracker
	$(BIN)/python -m pip install -q -e ".[demo]"
	touch $@

bench: $(VENV)/.test-deps
	$(BIN)/python -m benchmarks

# The reader over the project's own corpus (tests/corpus): documents exact, problems found / expected, warnings.
parse-report: $(BIN)/tracker
	$(BIN)/python -m benchmarks.parse_report

clean:
	rm -rf $(VENV) instance/tracker.db
