#!/usr/bin/env bash
# Debian/Ubuntu packages the app needs on a fresh machine (Qt's shared libraries,
# fonts, venv), plus, with --test, what the test suite uses.
# Uses sudo when not root. Safe to run again: apt-get skips what is installed.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(
  python3-venv python3-pip
  # Qt 6 (PySide6 wheels) on X11/Wayland and offscreen
  libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libxkbcommon0
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
  libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xinerama0 libxcb-xkb1
  libnss3 libasound2 fonts-dejavu-core
)
if [ "${1:-}" = "--test" ]; then
  packages+=(
    dbus gnome-keyring   # a real Secret Service keyring for the credential tests
    poppler-utils        # pdftotext, to read exported PDFs
    desktop-file-utils appstream  # validators for the .desktop file and metainfo
    postgresql postgresql-contrib openssl  # a throwaway team server (initdb, TLS) for the team tests
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
