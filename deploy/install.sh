#!/bin/sh
# Installs zoryx-core (with PostgreSQL support) and plugins from a folder of wheels into a new
# virtual environment; their dependencies come from the package index (PyPI).
#   deploy/install.sh WHEEL_DIR VENV [PLUGIN...]
# The same by hand:
#   python3 -m venv VENV
#   VENV/bin/pip install --find-links WHEEL_DIR 'zoryx-core[postgresql]' PLUGIN...
set -eu
if [ $# -lt 2 ]; then
    echo "usage: $0 WHEEL_DIR VENV [PLUGIN...]" >&2
    exit 2
fi
wheels=$1
venv=$2
shift 2
"${PYTHON:-python3}" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --find-links "$wheels" \
    "zoryx-core[postgresql]" "$@"
"$venv/bin/python" -m pip check
"$venv/bin/zoryx" version
