# 整改督办台账 — the two commands in README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: install test test-sqlite test-postgres run bench parse-report clean wheelhouse install-offline lock

# pip installs only the locked set (requirements/*.txt, every file with its sha256), then the project
# itself with no build isolation and no dependencies: nothing else is fetched, pip is not upgraded.
PIP_LOCKED = $(BIN)/python -m pip install -q --require-hashes
PIP_SELF   = $(BIN)/python -m pip install -q --no-deps --no-build-isolation

install: $(BIN)/tracker

$(BIN)/tracker: pyproject.toml setup.py requirements/runtime.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_LOCKED) -r requirements/runtime.txt
	$(PIP_SELF) -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/tracker requirements/test.txt
	$(PIP_LOCKED) -r requirements/test.txt
	touch $@

# Every wheel the server needs (this Python, this platform) and the project's own, for a USB stick:
# the server installs with `make install-offline` or the two pip commands in docs/deploy.md.
WHEELHOUSE ?= wheelhouse
wheelhouse: $(BIN)/tracker
	rm -rf $(WHEELHOUSE) && mkdir -p $(WHEELHOUSE)
	$(BIN)/python -m pip download -q --require-hashes --only-binary=:all: -d $(WHEELHOUSE) -r requirements/runtime.txt
	$(BIN)/python -m pip wheel -q --no-deps --no-build-isolation -w $(WHEELHOUSE) .
	cp requirements/runtime.txt $(WHEELHOUSE)/requirements.txt
	cp -r deploy $(WHEELHOUSE)/deploy
	cd $(WHEELHOUSE) && sha256sum *.whl requirements.txt > SHA256SUMS
	@echo "wheelhouse: $$(ls $(WHEELHOUSE)/*.whl | wc -l) 个 wheel → $(WHEELHOUSE)/"

# No index at all: from the wheelhouse only (VENV=/opt/tracker/venv for a server).
install-offline:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --no-index --find-links $(WHEELHOUSE) --require-hashes -r $(WHEELHOUSE)/requirements.txt
	$(BIN)/python -m pip install -q --no-index --no-deps --force-reinstall $(WHEELHOUSE)/rectification_tracker-*.whl

# Regenerate the lock files after a change of dependencies in pyproject.toml (needs the index).
lock:
	requirements/lock.sh

# The whole suite on SQLite (browser tests included), then again on the real PostgreSQL.
test: $(VENV)/.test-deps
	$(BIN)/python -m pytest -q
	TRACKER_TEST_DB=postgresql $(BIN)/python -m pytest -q -m "not browser"

test-sqlite: $(VENV)/.test-deps
	$(BIN)/python -m pytest -q

test-postgres: $(VENV)/.test-deps
	TRACKER_TEST_DB=postgresql $(BIN)/python -m pytest -q -m "not browser"

# Web app, scheduler and a local mail sink (mails are printed here, decoded) on the SQLite database in
# instance/; Ctrl-C stops all three. Set MAIL_SERVER/MAIL_PORT to use a real SMTP server instead.
# The demo's own port (the tests use 8025); instance/demo-mail.env tells `tracker …` in another shell.
DEMO_MAIL_PORT ?= 2526
# The demo's group-robot receiver (tracker/services/demo.py DEMO_ROBOT_URL points at it).
DEMO_ROBOT_PORT ?= 8026
run: $(VENV)/.demo-deps
	$(BIN)/tracker db upgrade
	$(BIN)/tracker seed-demo
	@dir=$${TRACKER_INSTANCE_DIR:-instance}; mkdir -p $$dir && printf 'MAIL_SERVER=%s\nMAIL_PORT=%s\n' "$${MAIL_SERVER:-127.0.0.1}" "$${MAIL_PORT:-$(DEMO_MAIL_PORT)}" > $$dir/demo-mail.env
	@echo "整改督办台账: http://$(HOST):$(PORT)/  （演示邮件打印在本终端，SMTP 127.0.0.1:$(DEMO_MAIL_PORT)；演示时钟：$(BIN)/tracker clock set 2026-12-16T09:30）"
	@export MAIL_SERVER=$${MAIL_SERVER:-127.0.0.1} MAIL_PORT=$${MAIL_PORT:-$(DEMO_MAIL_PORT)}; \
	$(BIN)/python -m tracker.ops.mailsink --port $(DEMO_MAIL_PORT) & sink=$$!; \
	$(BIN)/python -m tracker.mail.robot_sink --port $(DEMO_ROBOT_PORT) & robot=$$!; \
	$(BIN)/tracker scheduler & scheduler=$$!; \
	$(BIN)/tracker run --host $(HOST) --port $(PORT) & web=$$!; \
	trap 'kill -TERM $$web $$scheduler $$sink $$robot 2>/dev/null; (sleep 15; kill -KILL $$web $$scheduler $$sink $$robot 2>/dev/null) & killer=$$!; wait $$web $$scheduler $$sink $$robot; kill $$killer 2>/dev/null; echo "已停止。"; exit 0' INT TERM; \
	wait $$web; kill -TERM $$scheduler $$sink $$robot 2>/dev/null; wait

$(VENV)/.demo-deps: $(BIN)/tracker requirements/demo.txt
	$(PIP_LOCKED) -r requirements/demo.txt
	touch $@

bench: $(VENV)/.test-deps
	$(BIN)/python -m benchmarks

# The reader over the project's own corpus (tests/corpus): documents exact, problems found / expected, warnings.
parse-report: $(BIN)/tracker
	$(BIN)/python -m benchmarks.parse_report

clean:
	rm -rf $(VENV) instance/tracker.db wheelhouse
