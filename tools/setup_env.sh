#!/usr/bin/env bash
# Make sure the book's environment exists, then exit. Called by `make book` and `make test`.
#
#  1. Debian packages the tests and the book read (as root, with apt-get available): see DEBIAN_PACKAGES.
#  2. A virtual environment built from requirements.txt, kept outside the clone under
#     $HP_BOOK_HOME/venv-<hash of requirements.txt and python version>, so that fresh clones with the same
#     requirements re-use it and a changed requirement builds a new one. `.venv` links to it.
#  3. hp_lib installed into it (editable, pointing at this clone) and its Jupyter kernel registered inside it.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
HP_BOOK_HOME=${HP_BOOK_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/hp-book}
# chromium and the CJK fonts: the browser test drives Debian's Chromium (Playwright's own browser download
# needs the internet) and screenshots pages in Chinese.
DEBIAN_PACKAGES=(dataset-fashion-mnist chromium fonts-noto-cjk)

say() { echo "[setup] $*"; }
# pip warns about every local index folder that lacks a package; keep the rest of what it says.
quiet_pip() { grep -v "is ignored: it is neither a file nor a directory" || true; }

# 1. Debian packages -------------------------------------------------------------------------------
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]} (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "warning: Debian packages ${missing[*]} are missing and cannot be installed (not root or no apt-get);"
    say "         install them yourself; tests that read them will fail."
  fi
fi

# 2. The virtual environment ------------------------------------------------------------------------
key=$( { cat requirements.txt; "$PYTHON" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16)
venv="$HP_BOOK_HOME/venv-$key"
if [ ! -f "$venv/.complete" ]; then
  say "creating the Python environment $venv from requirements.txt (a few minutes, about 6 GB)"
  rm -rf "$venv"
  mkdir -p "$HP_BOOK_HOME"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip 2> >(quiet_pip >&2)
  "$venv/bin/python" -m pip install --quiet -r requirements.txt 2> >(quiet_pip >&2)
  touch "$venv/.complete"   # written last: an interrupted install is redone next time
fi
if [ "$(readlink .venv 2>/dev/null)" != "$venv" ]; then
  [ -e .venv ] && [ ! -L .venv ] && { say "error: .venv exists and is not a link; remove it"; exit 1; }
  ln -sfn "$venv" .venv
  say ".venv -> $venv"
fi

# 3. hp_lib (editable, this clone) and the Jupyter kernel ----------------------------------------------
here=$(pwd -P)
installed=$(cd / && env -u PYTHONPATH "$here/.venv/bin/python" -c 'import hp_lib, os; print(os.path.dirname(os.path.dirname(os.path.realpath(hp_lib.__file__))))' 2>/dev/null || true)
if [ "$installed" != "$here" ]; then
  say "installing hp_lib from $here (editable)"
  # setuptools is chatty about editable installs: show its output only if the install fails
  log=$(mktemp)
  .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e . >"$log" 2>&1 || { cat "$log"; exit 1; }
  rm -f "$log"
fi
if [ ! -f .venv/share/jupyter/kernels/hp-book/kernel.json ]; then
  say "registering the Jupyter kernel 'hp-book' inside the environment"
  .venv/bin/python -m ipykernel install --sys-prefix --name hp-book --display-name "Python (hp-book)" >/dev/null
fi
