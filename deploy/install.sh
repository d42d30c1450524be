#!/bin/sh
# Installs zoryx-core (with PostgreSQL support) and plugins from a folder of wheels into a new
# virtual environment; their dependencies come from the package index (PyPI).
#   deploy/install.sh WHEEL_DIR VENV [PLUGIN...]
# The same by hand, naming the wheel files (zoryx-core and its plugins are not on PyPI, so a
# package of the same name published there must never be taken instead):
#   python3 -m venv VENV
#   VENV/bin/pip install 'WHEEL_DIR/zoryx_core-VERSION-py3-none-any.whl[postgresql]' \
#       WHEEL_DIR/zoryx_backup-VERSION-py3-none-any.whl ...
set -eu
if [ $# -lt 2 ]; then
    echo "usage: $0 WHEEL_DIR VENV [PLUGIN...]" >&2
    exit 2
fi
wheels=$1
venv=$2
shift 2

# The one wheel of a distribution in WHEEL_DIR (zoryx-backup: zoryx_backup-*.whl).
wheel_of() {
    name=$1
    set -- "$wheels/$(echo "$name" | tr - _)"-*.whl
    if [ $# -ne 1 ] || [ ! -f "$1" ]; then
        echo "$0: need exactly one wheel of $name in $wheels; it holds: $(cd "$wheels" && ls | tr "\n" " ")" >&2
        exit 2
    fi
    echo "$1"
}

core=$(wheel_of zoryx-core)
plugins=""
for plugin in "$@"; do
    plugins="$plugins $(wheel_of "$plugin")"
done
"${PYTHON:-python3}" -m venv "$venv"
# shellcheck disable=SC2086  # one word per wheel; wheel paths have no spaces
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$core[postgresql]" $plugins
"$venv/bin/python" -m pip check
"$venv/bin/zoryx" version
