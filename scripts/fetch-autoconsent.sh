#!/usr/bin/env bash
# `make autoconsent`: DuckDuckGo's consent-banner rule set (@duckduckgo/autoconsent, MPL-2.0)
# from the npm registry, at the version pinned here, into
# dgp/scanners/website/data/autoconsent/: the content script built for Playwright, the
# full rule set (opt-in and opt-out steps) and the licence. The website scanner injects
# them into the pages it visits; nothing is fetched at scan time.
#
#   scripts/fetch-autoconsent.sh           fetch the pinned version (npm) and write the files
#   scripts/fetch-autoconsent.sh --check   the committed files match their manifest; with npm
#                                          on PATH also that they are what npm serves for the
#                                          pinned version (the package build runs this)
#   AUTOCONSENT_VERSION=16.24.0 scripts/fetch-autoconsent.sh   move the pin (then commit)
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${AUTOCONSENT_VERSION:-16.23.0}
DEST=dgp/scanners/website/data/autoconsent
FILES=(dist/autoconsent.playwright.js rules/rules.json LICENSE)

check_manifest() {
    (cd "$DEST" && sha256sum --quiet -c SHA256SUMS)
}

fetch() {  # the package's files into $1
    local work=$1
    (cd "$work" && npm pack --silent "@duckduckgo/autoconsent@$VERSION" >/dev/null)
    tar -xzf "$work"/duckduckgo-autoconsent-"$VERSION".tgz -C "$work"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ "${1:-}" = "--check" ]; then
    check_manifest
    pinned=$(cat "$DEST/VERSION")
    VERSION=$pinned
    if command -v npm >/dev/null 2>&1 && fetch "$work" 2>/dev/null; then
        for f in "${FILES[@]}"; do
            cmp -s "$work/package/$f" "$DEST/$(basename "$f")" || {
                echo "autoconsent: $(basename "$f") differs from npm's $pinned" >&2
                exit 1
            }
        done
        echo "autoconsent $pinned: the shipped files are npm's"
    else
        echo "autoconsent $pinned: files match SHA256SUMS (npm or its registry unavailable: not compared with npm's copy)"
    fi
    exit 0
fi

fetch "$work"
mkdir -p "$DEST"
for f in "${FILES[@]}"; do
    install -m 0644 "$work/package/$f" "$DEST/$(basename "$f")"
done
echo "$VERSION" > "$DEST/VERSION"
(cd "$DEST" && sha256sum autoconsent.playwright.js rules.json LICENSE > SHA256SUMS)
echo "autoconsent $VERSION written to $DEST"
