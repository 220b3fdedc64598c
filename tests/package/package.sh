#!/usr/bin/env bash
# The .deb as a user gets it (CTest package.deb): cpack builds it from the build folder, its control data and
# desktop files are validated, it is unpacked into a scratch root (dpkg -x), and the *installed* programs run
# there: waft-cli extracts the installed sample, found from its own prefix (the scene records which file it
# read), and renders a loop that decodes; the app reports its version.
#   tests/package/package.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "package: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack failed"; }
deb=$(ls "$work"/pkg/waft_*_*.deb)
echo "package: $(basename "$deb"), $(($(stat -c %s "$deb") / 1024)) KiB"
depends=$(dpkg-deb -f "$deb" Depends)
# dpkg-shlibdeps wrote these from what the binaries link (a hand list would not name the sonames).
for lib in libtorch libqt6widgets6 libopencv-core libavcodec qt6-qpa-plugins; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done

root="$work/root"
dpkg-deb -x "$deb" "$root"
for f in usr/bin/waft usr/bin/waft-cli usr/share/waft/samples/tree.avi usr/share/waft/samples/ATTRIBUTION.md \
  usr/share/waft/clip/bpe_simple_vocab_16e6.txt.gz usr/share/applications/org.waft.Waft.desktop \
  usr/share/icons/hicolor/scalable/apps/org.waft.Waft.svg usr/share/metainfo/org.waft.Waft.metainfo.xml \
  usr/share/mime/packages/org.waft.Waft.xml usr/share/man/man1/waft-cli.1.gz; do
  [ -e "$root/$f" ] || fail "the package lacks /$f"
done
desktop-file-validate "$root/usr/share/applications/org.waft.Waft.desktop" || fail "desktop entry invalid"
appstreamcli validate --no-net "$root/usr/share/metainfo/org.waft.Waft.metainfo.xml" >"$work/as.log" 2>&1 ||
  { cat "$work/as.log"; fail "metainfo invalid"; }
grep -q '^MimeType=application/x-waft-scene;' "$root/usr/share/applications/org.waft.Waft.desktop" ||
  fail "the desktop entry does not open .waft scenes"
# The MIME database built from the package's type maps *.waft to it (what a double-click looks up).
cp -r "$root/usr/share/mime" "$work/mime"
update-mime-database "$work/mime" >/dev/null 2>&1 || fail "update-mime-database rejected the type"
grep -q '^application/x-waft-scene:\*\.waft$' "$work/mime/globs" || fail "*.waft is not application/x-waft-scene"
zcat "$root/usr/share/man/man1/waft-cli.1.gz" | grep -q '^\.TH WAFT-CLI "1"' || fail "no waft-cli(1)"
zcat "$root/usr/share/man/man1/waft-cli.1.gz" | grep -q 'train\\-renderer' || fail "waft-cli(1) misses commands"

cli="$root/usr/bin/waft-cli"
unset WAFT_RESOURCES_DIR
"$cli" --version | grep -Eq '^waft-cli [0-9]+\.[0-9]+\.[0-9]+ \(git ([0-9a-f]{7,}(-dirty)?|unknown)\)$' ||
  fail "waft-cli --version: $("$cli" --version)"
(cd "$work" && "$cli" extract --sample --frames 12 -o "$work/tree.waft" >/dev/null) || fail "installed extract failed"
source=$("$cli" info "$work/tree.waft" | python3 -c 'import json,sys; print(json.load(sys.stdin)["source_video"]["path"])')
[ "$source" = "$root/usr/share/waft/samples/tree.avi" ] || fail "the installed waft-cli read $source, not its own sample"
"$cli" animate "$work/tree.waft" -o "$work/loop.gif" --seconds 2 --fps 10 --size 160x0 >/dev/null ||
  fail "installed animate failed"
"$cli" check-loop "$work/loop.gif" >/dev/null || fail "the installed program's loop does not decode"
QT_QPA_PLATFORM=offscreen "$root/usr/bin/waft" --version 2>/dev/null | grep -Eq '^Waft [0-9.]+ \(git ' ||
  fail "waft --version failed"
echo "package: installed waft-cli extracted its own sample ($source) and rendered a loop; waft --version ok"
