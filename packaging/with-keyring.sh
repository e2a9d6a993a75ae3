#!/usr/bin/env bash
# Run a command inside a private D-Bus session with an unlocked gnome-keyring
# (a real Secret Service), as a desktop session has. Used by packaging/test.sh.
set -euo pipefail
if ! command -v dbus-run-session >/dev/null || ! command -v gnome-keyring-daemon >/dev/null; then
  exec "$@"
fi
exec dbus-run-session -- bash -c '
  # The keyring password only protects this throwaway session keyring.
  printf "throwaway-session" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 || true
  exec "$@"' bash "$@"
