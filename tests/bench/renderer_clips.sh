#!/usr/bin/env bash
# The neural renderer's training clips beyond ../shared/data (docs/BENCHMARKS.md, issue 14): seven real clips
# from Debian packages, fetched with apt-get download (no install, no root needed for the unpacking) and linked,
# with the three clips of ../shared/data, into one folder for `waft-cli train-renderer DIR`.
# Usage: renderer_clips.sh SHARED_DATA_DIR OUT_DIR   (OUT_DIR/clips is the folder; OUT_DIR/debs holds the packages)
set -eu
DATA=$(readlink -f "$1") OUT=$(mkdir -p "$2" && readlink -f "$2")
mkdir -p "$OUT/debs" "$OUT/clips"
cd "$OUT/debs"
# package: path inside it, name in the folder (licence as the package's copyright file states it)
clips=(
  "opencv-doc:usr/share/doc/opencv-doc/opencv4/html/box.mp4.gz:box.mp4"                       # Apache-2.0 AND BSD-3-Clause
  "pd-extendedview:usr/share/doc/pd-extendedview/media/diver.mov:diver.mov"                    # GPL-3+
  "python3-imageio:usr/lib/python3/dist-packages/imageio/resources/images/cockatoo.mp4:cockatoo.mp4"  # BSD-2-Clause
  "forensics-samples-files:usr/share/forensics-samples/original-files/movie1/VID_20191220_170832.mp4:dog.mp4"  # CC-BY-SA-4.0
  "python-kivy-examples:usr/share/kivy-examples/widgets/cityCC0.mpg:city.mpg"                  # Expat (the package); CC0 by the name
  "node-opencv:usr/share/doc/node-opencv/examples/files/motion.mov:coin.mov"                  # Expat
  "python3-mecavideo:usr/share/pymecavideo/data/video/balle-jbart.mp4:ball.mp4"               # GPL-3+
)
for entry in "${clips[@]}"; do
  IFS=: read -r pkg path name <<<"$entry"
  if [ ! -e "$OUT/clips/$name" ]; then
    ls "${pkg}"_*.deb >/dev/null 2>&1 || apt-get download -q "$pkg" >/dev/null
    dpkg -x "$(ls "${pkg}"_*.deb | head -1)" "$OUT/debs/x"
    case "$path" in
      *.gz) gunzip -c "$OUT/debs/x/$path" >"$OUT/clips/$name" ;;
      *) cp "$OUT/debs/x/$path" "$OUT/clips/$name" ;;
    esac
  fi
done
ln -sfn "$DATA/opencv-samples/tree.avi" "$OUT/clips/tree.avi"
ln -sfn "$DATA/videos/static-camera/vtest.avi" "$OUT/clips/vtest.avi"
ln -sfn "$DATA/videos/static-camera/cup.mp4" "$OUT/clips/cup.mp4"
ls "$OUT/clips"
