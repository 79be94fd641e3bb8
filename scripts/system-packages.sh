#!/bin/sh
# Debian packages the tests and tools need: Chromium for the browser tests (Playwright drives
# Debian's build; it cannot download its own here), poppler-utils to look at PDFs as PNGs,
# fonts for rendering, the Pango/HarfBuzz libraries WeasyPrint loads to print letters as PDF
# (those Debian's python3-weasyprint depends on), and libfaketime, with which tests/test_tour.py
# runs the README's tour on the day its demo ids are from. Installs only what is missing.
set -eu
need=""
for pkg in chromium poppler-utils fonts-dejavu-core \
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libharfbuzz0b shared-mime-info faketime; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need="$need $pkg"
done
[ -z "$need" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-packages: not a Debian system; install$need yourself (browser tests will be skipped)" >&2
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "system-packages: installing$need" >&2
$sudo apt-get update -qq >/dev/null 2>&1 || true
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $need >/dev/null
