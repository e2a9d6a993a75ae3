#!/usr/bin/env bash
# Install everything the tests need, then run the whole test suite headless.
#   Debian packages (packaging/install-deps.sh --test), a venv in .venv with the
#   app and its [test] extra, then pytest with Qt offscreen.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/install-deps.sh --test
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check '.[test]'
export QT_QPA_PLATFORM=offscreen
# A real Secret Service keyring (gnome-keyring in a private D-Bus session).
exec packaging/with-keyring.sh .venv/bin/python -m pytest "$@"
