#!/usr/bin/env bash
# Build the one-folder app with PyInstaller: dist/community-console/community-console
#
#   packaging/build.sh [--check] [PyInstaller options...]
#
# Python: $PYTHON, else .venv/bin/python, else python3. It must have the app's
# dependencies installed (pip install .) and PyInstaller (pip install pyinstaller);
# PyInstaller is installed into it when missing and it is a virtual environment.
# --check: after building, run the built app's --version and --self-test (offscreen).
# Other options go to PyInstaller, e.g. --distpath DIR --workpath DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
check=0
args=()
for a in "$@"; do
  if [ "$a" = "--check" ]; then check=1; else args+=("$a"); fi
done
if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
  if "$PYTHON" -c "import sys; sys.exit(sys.prefix == sys.base_prefix)"; then
    echo "Installing PyInstaller into $("$PYTHON" -c 'import sys; print(sys.prefix)')" >&2
    "$PYTHON" -m pip install -q --disable-pip-version-check "pyinstaller>=6.10"
  else
    echo "PyInstaller is not installed for $PYTHON: pip install pyinstaller" >&2
    exit 2
  fi
fi
distpath=dist
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[$i]}" = "--distpath" ]; then distpath="${args[$((i + 1))]}"; fi
done
start=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller "${args[@]}" packaging/pyinstaller/console.spec
app="$distpath/community-console/community-console"
echo "Built $app in $(( $(date +%s) - start )) s; $(du -sh "$distpath/community-console" | cut -f1) on disk" >&2
if [ "$check" = 1 ]; then
  "$app" --version
  QT_QPA_PLATFORM=offscreen "$app" --self-test
fi
