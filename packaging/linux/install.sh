#!/usr/bin/env bash
# Install the desktop integration under a prefix: menu entry, AppStream metadata, icons.
#
#   packaging/linux/install.sh [PREFIX]   default ~/.local; /usr/local or /usr system-wide
#
# The menu entry runs `community-console`: it must be on PATH (pip install ., or a link
# to dist/community-console/community-console from packaging/build.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
icons="$here/../../resources/icons"
id=org.communityconsole.Console
prefix="${1:-$HOME/.local}"
share="$prefix/share"
install -Dm644 "$here/$id.desktop" "$share/applications/$id.desktop"
install -Dm644 "$here/$id.metainfo.xml" "$share/metainfo/$id.metainfo.xml"
for size in 16 22 24 32 48 64 128 256 512; do
  install -Dm644 "$icons/community-console-$size.png" \
    "$share/icons/hicolor/${size}x${size}/apps/$id.png"
done
install -Dm644 "$icons/community-console.svg" "$share/icons/hicolor/scalable/apps/$id.svg"
# Refresh the menu and icon caches where the tools exist (desktops also notice by themselves).
if command -v update-desktop-database >/dev/null; then
  update-desktop-database -q "$share/applications" || echo "note: update-desktop-database failed" >&2
fi
if command -v gtk-update-icon-cache >/dev/null && [ -f "$share/icons/hicolor/index.theme" ]; then
  gtk-update-icon-cache -q -t "$share/icons/hicolor" || echo "note: gtk-update-icon-cache failed" >&2
fi
echo "Installed $id under $share" >&2
