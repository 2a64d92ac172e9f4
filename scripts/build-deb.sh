#!/usr/bin/env bash
# `make deb`: build build/dataguardian_<version>_<arch>.deb with dpkg-buildpackage.
# Debian wants debian/ at the top of the source tree, so the parts of the project
# that the package needs are copied into build/deb/dataguardian-<version>/ with
# packaging/debian as its debian/. Installs the build tools when they are missing
# (root). Needs PyPI: the package's virtual environment is filled from it.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=(debhelper dpkg-dev python3-venv)
missing=$(for p in "${tools[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
    echo "installing Debian packages:" $missing
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
fi

version=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
packaged=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
if [ "$version" != "$packaged" ]; then
    echo "make deb: pyproject.toml says $version, packaging/debian/changelog $packaged:" \
        "add a changelog entry (dch -c packaging/debian/changelog -v $version)" >&2
    exit 1
fi

arch=$(dpkg --print-architecture)
work=build/deb
src=$work/dataguardian-$version
rm -rf "$work"
mkdir -p "$src"
tar -c --exclude=__pycache__ --exclude='*.pyc' pyproject.toml README.md dgp units \
    scripts/fetch-autoconsent.sh |
    tar -x -C "$src"
cp -r packaging/debian "$src/debian"

(cd "$src" && dpkg-buildpackage -us -uc -b)

deb=build/dataguardian_${version}_${arch}.deb
mv "$work/dataguardian_${version}_${arch}.deb" "$deb"
echo "built $deb"
