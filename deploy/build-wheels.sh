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
for plugin in "$@"; do
    if [ ! -f "$root/plugins/$plugin/pyproject.toml" ]; then
        echo "$0: no plugin '$plugin' in plugins/ (there are: $available)" >&2
        exit 2
    fi
done
# pip builds a local project in its own folder (build/, *.egg-info): build copies instead, so the
# checkout is left as it was and two builds at once cannot trip over each other's files.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copy() {  # copy SOURCE to $work/NAME: no hidden entries (.git, virtual environments), no build output
    mkdir -p "$work/$2"
    (cd "$1" && tar -cf - --exclude='./.*' --exclude=./plugins --exclude=build --exclude='*.egg-info' \
        --exclude=__pycache__ .) | (cd "$work/$2" && tar -xf -)
}
copy "$root" zoryx-core
sources="$work/zoryx-core"
for plugin in "$@"; do
    copy "$root/plugins/$plugin" "$plugin"
    sources="$sources $work/$plugin"
done
# One build environment for every project (pip's build isolation would make one per project).
build_env="$work/build-env"
"${PYTHON:-python3}" -m venv "$build_env"
"$build_env/bin/python" -m pip install --quiet --disable-pip-version-check "setuptools>=77"
# shellcheck disable=SC2086  # one word per source folder; the temporary folder's path has no spaces
"$build_env/bin/python" -m pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation \
    --wheel-dir "$out" $sources
ls "$out"
