#!/bin/sh
# Builds wheels of zoryx-core and framework plugins from this repository's sources.
#   deploy/build-wheels.sh OUT_DIR [PLUGIN...]      (no PLUGIN: every plugin in plugins/)
# Copy OUT_DIR to the server and install from it with deploy/install.sh (or the pip command it runs).
set -eu
if [ $# -lt 1 ]; then
    echo "usage: $0 OUT_DIR [PLUGIN...]" >&2
    exit 2
fi
out=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
available=$(cd "$root/plugins" && ls -d zoryx-*/ | tr -d / | tr '\n' ' ')
[ $# -gt 0 ] || set -- $available
sources="$root"
for plugin in "$@"; do
    if [ ! -f "$root/plugins/$plugin/pyproject.toml" ]; then
        echo "$0: no plugin '$plugin' in plugins/ (there are: $available)" >&2
        exit 2
    fi
    sources="$sources $root/plugins/$plugin"
done
# One build environment for every project (pip's build isolation would make one per project).
build_env=$(mktemp -d)
trap 'rm -rf "$build_env"' EXIT
"${PYTHON:-python3}" -m venv "$build_env"
"$build_env/bin/python" -m pip install --quiet --disable-pip-version-check "setuptools>=77"
# shellcheck disable=SC2086  # one word per source folder; the checkout's path has no spaces
"$build_env/bin/python" -m pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation \
    --wheel-dir "$out" $sources
ls "$out"
