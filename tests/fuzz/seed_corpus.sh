#!/usr/bin/env bash
# Sorts the hostile set (tests/hostile/hostile.py's WORK_DIR) into one seed corpus per fuzz target.
# usage: seed_corpus.sh HOSTILE_DIR CORPUS_DIR
set -eu
src=$1 out=$2
mkdir -p "$out"/{safetensors,scene,json_fields,strokes,flo,model_config,sd_model,gif,image}
for f in "$src"/*.waft "$src"/*.safetensors; do [ -f "$f" ] && cp "$f" "$out/safetensors/" && cp "$f" "$out/scene/" && cp "$f" "$out/model_config/" && cp "$f" "$out/sd_model/"; done
for f in "$src"/*.json; do [ -f "$f" ] && cp "$f" "$out/strokes/" && cp "$f" "$out/json_fields/"; done
for f in "$src"/state/*.json; do [ -f "$f" ] && cp "$f" "$out/json_fields/"; done
for f in "$src"/*.flo; do [ -f "$f" ] && cp "$f" "$out/flo/"; done
# The GIF writer takes frames: its seeds are real pixels (the first 4 KB after the header of each image and clip).
for f in "$src"/*.png "$src"/*.avi "$src"/*.mp4 "$src"/*.flo; do
  [ -f "$f" ] && tail -c +64 "$f" | head -c 4096 >"$out/gif/$(basename "$f").bin"
done
for f in "$src"/*.png "$src"/*.jpg; do [ -f "$f" ] && cp "$f" "$out/image/"; done
echo "seeded $(find "$out" -type f | wc -l) files into $out"
