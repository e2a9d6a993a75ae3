#!/usr/bin/env bash
# Run a command inside a private D-Bus session with its own unlocked gnome-keyring (a real
# Secret Service, as a desktop session has). Used by packaging/test.sh.
#
# The keyring lives in a throwaway folder (mktemp, removed at exit), never in the user's
# ~/.local/share/keyrings: the whole D-Bus session (so also any service it starts on demand)
# runs with HOME, XDG_DATA_HOME, XDG_CONFIG_HOME, XDG_CACHE_HOME and XDG_RUNTIME_DIR in
# that folder. The command gets the user's HOME, XDG_CONFIG_HOME and XDG_CACHE_HOME back (pip
# and tool caches), but keeps the throwaway XDG_DATA_HOME (keyrings and the app's data
# folder) and XDG_RUNTIME_DIR, plus CC_TEST_KEYRING_DIR naming the folder, which
# tests/conftest.py checks. The login collection is created with a random password and must
# come out unlocked: otherwise the run stops here with a message, not in every keyring test.
set -euo pipefail

die() { echo "with-keyring.sh: $*" >&2; exit 1; }
NEED="install dbus gnome-keyring (packaging/install-deps.sh --test)"

bus() { dbus-send --session --print-reply "$@"; }

if [ "${1:-}" = "--inside-session" ]; then
  # Second half, inside dbus-run-session with the throwaway environment; $2 is the folder.
  tmp=$2; shift 2
  password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  # --foreground: its pid is ours to stop, and nothing outlives the run.
  gnome-keyring-daemon --foreground --unlock --components=secrets <<<"$password" \
    >"$tmp/daemon.log" 2>&1 &
  daemon=$!
  unset password
  # Wait for the daemon to own the name (NameHasOwner never starts a second one).
  for _ in $(seq 100); do
    if bus --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
        string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; then break; fi
    kill -0 "$daemon" 2>/dev/null || die "gnome-keyring-daemon exited: $(cat "$tmp/daemon.log")"
    sleep 0.1
  done
  locked=$(bus --dest=org.freedesktop.secrets /org/freedesktop/secrets/collection/login \
      org.freedesktop.DBus.Properties.Get string:org.freedesktop.Secret.Collection \
      string:Locked 2>&1) || { kill "$daemon"; die "the test keyring has no login collection: $locked"; }
  case "$locked" in
    *"boolean false"*) ;;
    *) kill "$daemon"; die "could not unlock the test keyring's login collection ($locked)" ;;
  esac
  restore() {  # NAME: the user's value saved by the outer half, or unset
    local saved="CC_OUTER_$1"
    if [ "${!saved}" = "-unset-" ]; then unset "$1"; else export "$1=${!saved}"; fi
    unset "$saved"
  }
  restore HOME; restore XDG_CONFIG_HOME; restore XDG_CACHE_HOME
  rc=0
  CC_TEST_KEYRING_DIR="$tmp" "$@" || rc=$?
  kill "$daemon" 2>/dev/null || true
  wait "$daemon" 2>/dev/null || true
  exit "$rc"
fi

[ $# -gt 0 ] || die "usage: packaging/with-keyring.sh COMMAND [ARG...]"
for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
  command -v "$tool" >/dev/null || die "$tool is missing: $NEED"
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cc-test-keyring.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/data" "$tmp/config" "$tmp/cache"
mkdir -m 700 "$tmp/run"
rc=0
env CC_OUTER_HOME="${HOME--unset-}" CC_OUTER_XDG_CONFIG_HOME="${XDG_CONFIG_HOME--unset-}" \
    CC_OUTER_XDG_CACHE_HOME="${XDG_CACHE_HOME--unset-}" \
    HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" \
    XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/run" \
    dbus-run-session -- bash "$0" --inside-session "$tmp" "$@" || rc=$?
exit "$rc"
