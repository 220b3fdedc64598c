#!/usr/bin/env bash
# The web page export in a real browser: waft-cli web on the bundled sample, opened in Debian's Chromium
# (headless, software WebGL) through puppeteer-core (tests/web/package.json, installed by `installer/waft.sh
# deps`): parity of loop frames with the engine's CPU render (PSNR >= 35 dB at 640x360), a drag and its
# ring-down against the engine's pull, the fallback loop without WebGL2, and the file's size.
#   web_test.sh CLI RESOURCES_DIR [KEEP_DIR]     (KEEP_DIR: keep the page, frames and screenshots there)
set -euo pipefail
CLI=$1
RES=$2
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${3:-$(mktemp -d)}
mkdir -p "$WORK"
rm -rf "$WORK/engine" "$WORK/engine-pull"
[ -n "${3:-}" ] || trap 'rm -rf "$WORK"' EXIT
command -v chromium >/dev/null || { echo "SKIP: no chromium (apt install chromium)"; exit 77; }
command -v node >/dev/null || { echo "SKIP: no node (apt install nodejs)"; exit 77; }
export CHROMIUM=${CHROMIUM:-$(command -v chromium)}
[ -d "$HERE/node_modules/puppeteer-core" ] || { echo "SKIP: no puppeteer-core (cd tests/web && npm ci)"; exit 77; }

"$CLI" extract "$RES/samples/tree.avi" -o "$WORK/tree.waft" --frames 30 >/dev/null
"$CLI" web "$WORK/tree.waft" -o "$WORK/tree.html" --size 640x360
"$CLI" animate "$WORK/tree.waft" -o "$WORK/engine/" --size 640x360 --fps 30 >/dev/null
frames=$(ls "$WORK"/engine/*.png | wc -l)
list=""
for i in 0 1 2 3 4 5 6 7; do list="$list,$((i * frames / 8))"; done
node "$HERE/page.mjs" "$CLI" "$WORK/tree.waft" "$WORK/tree.html" "$WORK" "${list#,}" | tee "$WORK/report.json"

status=0
for f in "$WORK"/web-[0-9]*.png "$WORK"/web-half-0000.png; do
  n=${f##*/web-}
  n=${n#half-}
  p=$(compare -metric PSNR "$WORK/engine/$n" "$f" null: 2>&1 | cut -d' ' -f1 || true)  # exit 1: they differ
  echo "${f##*/}: PSNR $p dB against the engine's CPU render of frame ${n%.png}"
  [ "$p" = inf ] || awk -v p="$p" 'BEGIN { exit !(p + 0 >= 35) }' || { echo "FAIL: frame $n at $p dB (< 35)"; status=1; }
done
exit $status
