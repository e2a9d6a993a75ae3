#!/usr/bin/env bash
# Install everything the tests need, then run the whole test suite headless.
#   Debian packages (packaging/install-deps.sh --test), a venv in .venv with the exact
#   versions of requirements-test.lock (hash-checked) and the app itself, then pytest with
#   Qt offscreen inside packaging/with-keyring.sh (a throwaway gnome-keyring).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/install-deps.sh --test
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
"${pip[@]}" --require-hashes -r requirements-test.lock
"${pip[@]}" --no-deps .
export QT_QPA_PLATFORM=offscreen
# A real Secret Service keyring of the test run's own (never the user's keyring folder).
exec packaging/with-keyring.sh .venv/bin/python -m pytest "$@"
