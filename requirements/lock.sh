#!/usr/bin/env bash
# Regenerates the lock files (needs the package index; run by a developer, never on the server).
# Each one pins every package with its hashes; pip installs them with --require-hashes.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${LOCK_VENV:-/tmp/tracker-lock-venv}
test -x "$tools/bin/pip-compile" || { python3 -m venv "$tools"; "$tools/bin/pip" install -q pip-tools; }
compile() {
  out=$1; shift
  "$tools/bin/pip-compile" -q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
    --no-emit-find-links --no-header "$@" -o "requirements/$out" pyproject.toml requirements/build.in
}
compile runtime.txt &
compile demo.txt --extra demo &
compile test.txt --extra test --extra demo &
wait
