#!/usr/bin/env bash
# Re-fetch the JavaScript/CSS that quartier embeds in offline maps (quartier.save_map(offline=True)).
# Pinned versions from the npm registry; only the files the maps need are kept.
# Usage: scripts/vendor_assets.sh   (needs node/npm; run from anywhere)
set -euo pipefail

LEAFLET_VERSION=1.9.4
JQUERY_VERSION=3.7.1

repo="$(cd "$(dirname "$0")/.." && pwd)"
dest="$repo/src/quartier/output/_vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "leaflet@$LEAFLET_VERSION" "jquery@$JQUERY_VERSION" >/dev/null
mkdir leaflet jquery
tar xzf "leaflet-$LEAFLET_VERSION.tgz" -C leaflet
tar xzf "jquery-$JQUERY_VERSION.tgz" -C jquery

rm -rf "$dest/leaflet" "$dest/jquery"
mkdir -p "$dest/leaflet/images" "$dest/jquery"
cp leaflet/package/dist/leaflet.js leaflet/package/dist/leaflet.css "$dest/leaflet/"
cp leaflet/package/dist/images/*.png "$dest/leaflet/images/"
cp leaflet/package/LICENSE "$dest/leaflet/LICENSE"
cp jquery/package/dist/jquery.min.js "$dest/jquery/"
cp jquery/package/LICENSE.txt "$dest/jquery/LICENSE.txt"
# jquery.min.js ends with a sourceMappingURL comment; the map is not shipped, so drop the
# comment (a browser's developer tools would otherwise try to fetch it)
sed -i '/^\/\/# sourceMappingURL=/d' "$dest/jquery/jquery.min.js"
sed -i '/^\/\/# sourceMappingURL=/d' "$dest/leaflet/leaflet.js"

cd "$dest"
# every vendored file, licences included (tests/test_vendor.py checks them all)
find leaflet jquery -type f | LC_ALL=C sort | xargs sha256sum > SHA256SUMS
echo "vendored leaflet@$LEAFLET_VERSION and jquery@$JQUERY_VERSION into $dest"
du -sh "$dest"
