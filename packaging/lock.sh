#!/usr/bin/env bash
# Re-write requirements.lock (the app) and requirements-test.lock (the app and its [test]
# extra) from pyproject.toml: exact versions with sha256 hashes, for Linux x86_64
# (manylinux_2_34, as Debian 12 / Ubuntu 22.04) and Python 3.11.
#   packaging/lock.sh             keep the locked versions; add/adjust what pyproject changed
#   packaging/lock.sh --upgrade   move everything to the newest versions the pins allow
# Extra options go to `uv pip compile` (e.g. --upgrade-package keyring).
# Uses `uv` from PATH (or $UV); without one, installs uv into a throwaway venv first.
set -euo pipefail
cd "$(dirname "$0")/.."
uv=${UV:-$(command -v uv || true)}
if [ -z "$uv" ]; then
  tools=$(mktemp -d)
  trap 'rm -rf "$tools"' EXIT
  python3 -m venv "$tools" && "$tools/bin/python" -m pip install -q uv
  uv="$tools/bin/uv"
fi
# PyPI only: the hashes must be those of the files every machine downloads.
common=(--generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_34
        --index-url https://pypi.org/simple --no-header --quiet)
header() {
  printf '# Exact versions and hashes of %s, for Linux x86_64 / Python 3.11.\n' "$1"
  printf '# Made by packaging/lock.sh from pyproject.toml; do not edit by hand.\n'
}
"$uv" pip compile pyproject.toml "${common[@]}" -o requirements.lock "$@"
"$uv" pip compile pyproject.toml --extra test "${common[@]}" -o requirements-test.lock "$@"
for lock in requirements.lock requirements-test.lock; do
  what="the app's dependencies"
  [ "$lock" = requirements-test.lock ] && what="the app's and the test extra's dependencies"
  { header "$what"; cat "$lock"; } >"$lock.new" && mv "$lock.new" "$lock"
done
echo "wrote requirements.lock and requirements-test.lock" >&2
