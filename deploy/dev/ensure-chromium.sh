#!/usr/bin/env bash
# Makes sure a headless-capable Chromium and a Chinese font are on this machine, for
# the console's browser tests (chromedp drives Debian's chromium; the font makes the
# screenshots legible). Installs Debian's packages when run as root with apt-get;
# otherwise says exactly what to install. Nothing is downloaded from anywhere else.
set -euo pipefail
need=()
have_browser=0
for b in "${TONGBAN_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$b" ] && [ -x "$b" ]; then have_browser=1; fi
done
[ "$have_browser" = 1 ] || need+=(chromium)
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh 2>/dev/null | head -1)" ]; then
  need+=(fonts-wqy-microhei)
fi
[ "${#need[@]}" = 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: installing Debian's ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  exit 0
fi
if [ "$have_browser" = 1 ]; then
  echo "ensure-chromium: no Chinese font; screenshots will show boxes. Install fonts-wqy-microhei." >&2
  exit 0
fi
echo "ensure-chromium: Chromium not found. Install it with" >&2
echo "  sudo apt-get install -y chromium fonts-wqy-microhei   (Debian/Ubuntu)" >&2
echo "or set TONGBAN_CHROMIUM to the chromium binary." >&2
exit 1
