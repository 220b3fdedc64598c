#!/usr/bin/env bash
# waft-cli contract: exit 0 on success; non-zero with exactly one line on stderr for bad input; --help on
# every command. Usage: cli_contract.sh WAFT_CLI DATA_DIR RESOURCES_DIR
set -u
CLI=$1 DATA=$2 RES=$3
WORK=$(mktemp -d /tmp/waft-cli-XXXXXX)
export WAFT_STATE_DIR="$WORK/state"  # the journal of resumable jobs: never the user's ~/.local/state
passed=0 failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# expect CODE DESCRIPTION -- COMMAND...: exit code and, for failures, one non-empty stderr line.
expect() {
  local want=$1 what=$2; shift 3
  "$@" >"$WORK/stdout" 2>"$WORK/stderr"
  local got=$?
  if [ "$want" = "fail" ]; then
    local lines; lines=$(wc -l <"$WORK/stderr")
    if [ "$got" -ne 0 ] && [ "$got" -lt 128 ] && [ "$lines" -ge 1 ] && { [ "$got" -eq 2 ] || [ "$lines" -eq 1 ]; }; then ok
    else bad "$what: exit $got, stderr: $(head -c 300 "$WORK/stderr")"; fi
  else
    if [ "$got" -eq "$want" ]; then ok; else bad "$what: exit $got (want $want), stderr: $(head -c 300 "$WORK/stderr")"; fi
  fi
}

for c in extract animate pull flow info brush check-loop bench-export jobs resume tokenize models generate invert train-t2v bench-t2v transfer bench-transfer edit bench-edit bench-vae train-renderer bench-renderer; do
  expect 0 "$c --help" -- "$CLI" "$c" --help
done
expect 0 "top-level --help" -- "$CLI" --help
expect fail "no command" -- "$CLI"
expect fail "unknown command" -- "$CLI" frobnicate

# Stable Diffusion commands: bad models are one line (the tiny-model runs are in tst_SdModelFiles)
expect 0 "tokenize" -- "$CLI" tokenize "a photo of a cat"
grep -q '^\[49406,320,1125,539,320,2368,49407,' "$WORK/stdout" && ok || bad "tokenize ids: $(head -c 100 "$WORK/stdout")"
printf 'PK pickle' >"$WORK/v1-5.ckpt"
expect fail "models: pickle refused" -- "$CLI" models "$WORK/v1-5.ckpt"
grep -q "safetensors" "$WORK/stderr" && ok || bad "pickle refusal names no alternative: $(cat "$WORK/stderr")"
expect fail "models: missing path" -- "$CLI" models "$WORK/none"
printf "garbage" >"$WORK/corrupt-model.safetensors"
expect fail "models: not a safetensors file" -- "$CLI" models "$WORK/corrupt-model.safetensors"
expect fail "generate: no model" -- "$CLI" generate -p "a cat" -o "$WORK/cat.png"
expect fail "generate: pickle model" -- "$CLI" generate --model "$WORK/v1-5.ckpt" -p "a cat" -o "$WORK/cat.png"
expect fail "generate: absurd size" -- "$CLI" generate --model "$WORK/v1-5.ckpt" -p "a cat" -o "$WORK/cat.png" --size 99999x8
expect fail "invert: not mp4" -- "$CLI" invert "$RES/samples/tree.avi" --model "$WORK/v1-5.ckpt" -p "a tree" -o "$WORK/r.gif"
expect fail "transfer: no new prompt" -- "$CLI" transfer "$RES/samples/tree.avi" --model "$WORK/v1-5.ckpt" -p "a tree" -o "$WORK/t.mp4"
expect fail "transfer: pickle model" -- "$CLI" transfer "$RES/samples/tree.avi" --model "$WORK/v1-5.ckpt" -p "a tree" --to "a palm" -o "$WORK/t.mp4"
expect fail "transfer: not mp4" -- "$CLI" transfer "$RES/samples/tree.avi" --model "$WORK/v1-5.ckpt" -p "a tree" --to "a palm" -o "$WORK/t.gif"
expect fail "transfer: bad base" -- "$CLI" transfer "$RES/samples/tree.avi" --model "$WORK/v1-5.ckpt" -p "a tree" --to "a palm" -o "$WORK/t.mp4" --base magic
expect fail "transfer: one frame" -- "$CLI" transfer "$RES/samples/tree.avi" --model "$WORK/v1-5.ckpt" -p "a tree" --to "a palm" -o "$WORK/t.mp4" --frames 1
[ ! -e "$WORK/t.mp4" ] && ok || bad "a failed transfer left $WORK/t.mp4"
expect fail "edit: no edit prompt" -- "$CLI" edit "$RES/samples/tree.avi" --model "$WORK/v1-5.ckpt" -p "a tree" -o "$WORK/e.mp4"
expect fail "edit: pickle model" -- "$CLI" edit "$RES/samples/tree.avi" --model "$WORK/v1-5.ckpt" -p "a tree" --to "a tree in snow" -o "$WORK/e.mp4"
expect fail "edit: bad attention" -- "$CLI" edit "$RES/samples/tree.avi" --model "$WORK/v1-5.ckpt" -p "a tree" --to "a tree in snow" -o "$WORK/e.mp4" --attention per-frame
[ ! -e "$WORK/e.mp4" ] && ok || bad "a failed edit left $WORK/e.mp4"
expect fail "bench-transfer: unknown row" -- "$CLI" bench-transfer "$WORK/v1-5.ckpt" -o "$WORK/bench" --rows "TAV,magic"
expect fail "bench-edit: unknown row" -- "$CLI" bench-edit "$WORK/v1-5.ckpt" -o "$WORK/bench" --rows "SAVE,TAV"

expect fail "bench-vae: size not a multiple of 8" -- "$CLI" bench-vae --size 100x100
expect fail "bench-vae: absurd tile" -- "$CLI" bench-vae --vae-tile 9999

# The neural renderer: bad files and folders are one line
expect fail "train-renderer: no videos" -- "$CLI" train-renderer "$WORK/state" -o "$WORK/r.safetensors"
expect fail "train-renderer: bad gaps" -- "$CLI" train-renderer "$RES/samples" -o "$WORK/r.safetensors" --gaps 3-1
expect fail "train-renderer: bad loss" -- "$CLI" train-renderer "$RES/samples" -o "$WORK/r.safetensors" --loss l3
expect fail "train-renderer: absurd gradient weight" -- "$CLI" train-renderer "$RES/samples" -o "$WORK/r.safetensors" --gradient-weight 11
expect fail "train-renderer: absurd synthetic share" -- "$CLI" train-renderer "$RES/samples" -o "$WORK/r.safetensors" --synthetic 5
expect fail "bench-renderer: garbage renderer" -- "$CLI" bench-renderer "$WORK/corrupt-model.safetensors" "$RES/samples/tree.avi"
expect fail "bench-renderer: from after to" -- "$CLI" bench-renderer "$WORK/corrupt-model.safetensors" "$RES/samples/tree.avi" --from 0.9 --to 0.5

# Extraction and scene files
expect fail "missing video" -- "$CLI" extract "$WORK/none.mp4" -o "$WORK/a.waft"
printf 'not a video at all' >"$WORK/corrupt.mp4"
expect fail "corrupt video" -- "$CLI" extract "$WORK/corrupt.mp4" -o "$WORK/a.waft"
expect fail "unknown option" -- "$CLI" extract "$RES/samples/tree.avi" -o "$WORK/a.waft" --bogus
expect fail "bad --k" -- "$CLI" extract "$RES/samples/tree.avi" -o "$WORK/a.waft" --k 0
expect fail "bad --method" -- "$CLI" extract "$RES/samples/tree.avi" -o "$WORK/a.waft" --method magic
expect fail "output folder missing" -- "$CLI" extract "$RES/samples/tree.avi" -o "$WORK/no/such/dir/a.waft"
expect 0 "extract sample" -- "$CLI" extract "$RES/samples/tree.avi" -o "$WORK/tree.waft" --k 8
expect 0 "info" -- "$CLI" info "$WORK/tree.waft"
grep -q '"bands": 8' "$WORK/stdout" && grep -q '"width": 320' "$WORK/stdout" && ok || bad "info JSON lacks bands/width"
printf 'this is not a scene' >"$WORK/text.waft"
expect fail "info on text file" -- "$CLI" info "$WORK/text.waft"
head -c 5000 "$WORK/tree.waft" >"$WORK/truncated.waft"
expect fail "info on truncated scene" -- "$CLI" info "$WORK/truncated.waft"
expect fail "animate truncated scene" -- "$CLI" animate "$WORK/truncated.waft" -o "$WORK/x.mp4"

# The neural renderer in animate: it needs its file, and a bad file is one line and writes nothing
expect fail "animate: neural without a model" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/n.mp4" --renderer neural
expect fail "animate: model without neural" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/n.mp4" --renderer-model "$WORK/corrupt-model.safetensors"
expect fail "animate: garbage renderer" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/n.mp4" --renderer neural --renderer-model "$WORK/corrupt-model.safetensors"
expect fail "pull: garbage renderer" -- "$CLI" pull "$WORK/tree.waft" --at 100,100 --drag 10,0 -o "$WORK/n.mp4" --renderer neural --renderer-model "$WORK/corrupt-model.safetensors"
[ ! -e "$WORK/n.mp4" ] && ok || bad "a failed neural animate left $WORK/n.mp4"

# Animate: every format, and absurd parameters
for out in loop.mp4 loop.webm loop.webp loop.apng loop.gif frames/; do
  expect 0 "animate -> $out" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/$out" --seconds 1 --fps 12 --size 160x0
done
[ "$(ls "$WORK/frames" | wc -l)" -eq 12 ] && [ -f "$WORK/frames/0011.png" ] && ok || bad "PNG sequence has not 12 frames"
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$WORK/loop.mp4")
[ "$frames" = "12" ] && ok || bad "loop.mp4 has $frames frames, want 12"
for out in loop.mp4 loop.webm loop.webp loop.apng loop.gif; do
  expect 0 "check-loop $out" -- "$CLI" check-loop "$WORK/$out" --fps 12
  grep -q "^12 frames" "$WORK/stdout" && ok || bad "check-loop $out: $(cat "$WORK/stdout")"
done
grep -q "loop: forever" <("$CLI" check-loop "$WORK/loop.webp") && ok || bad "loop.webp does not loop forever"
# Quality presets and codecs: the sizes order as the presets promise; H.265 and lossless decode.
for q in draft best; do
  expect 0 "animate --quality $q" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/q-$q.mp4" --seconds 1 --fps 12 --size 160x0 --quality $q
done
[ "$(stat -c %s "$WORK/q-draft.mp4")" -lt "$(stat -c %s "$WORK/q-best.mp4")" ] && ok || bad "draft MP4 is not smaller than best"
expect 0 "animate --codec h265" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/h265.mp4" --seconds 1 --fps 12 --size 160x0 --codec h265
codec=$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,color_space -of csv=p=0 "$WORK/h265.mp4")
[ "$codec" = "hevc,bt709" ] && ok || bad "h265.mp4 stream is '$codec', want hevc,bt709"
expect 0 "animate --crf 30" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/crf.webm" --seconds 1 --fps 12 --size 160x0 --crf 30
expect fail "bad --quality" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/x.mp4" --quality ultra
expect fail "bad --crf" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/x.mp4" --crf 99
expect fail "bad --codec" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/x.mp4" --codec mpeg2
expect fail "bad --chroma" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/x.mp4" --chroma 422
expect fail "--crf for webp" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/x.webp" --crf 20
expect fail "--crf for gif" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/x.gif" --crf 20
expect fail "--crf 55 for mp4" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/x.mp4" --crf 55
expect fail "GIF above 50 fps" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/x.gif" --fps 60 --seconds 0.5
WAFT_HIDE_ENCODERS=libx265 expect fail "missing encoder" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/x.mp4" --codec h265
grep -q "libx265.*libx264" "$WORK/stderr" && ok || bad "missing encoder message does not name the alternatives"
expect fail "check-loop on text" -- "$CLI" check-loop "$WORK/text.waft"
expect fail "unknown extension" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/x.avi"
expect fail "absurd size" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/x.mp4" --size 99999x99999
expect fail "malformed size" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/x.mp4" --size big
expect fail "zero fps" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/x.mp4" --fps 0
expect fail "NaN gain" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/x.mp4" --gain nan
expect fail "negative seconds" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/x.mp4" --seconds -3
[ ! -e "$WORK/x.mp4" ] && ok || bad "a failed animate left x.mp4 behind"

# Renderers: the fast CPU path against its exact reference (PSNR >= 45 dB on every frame), and the reference
# against Vulkan (when a device exists), which computes the same float pipeline: agreement to 1/255
expect 0 "animate --renderer cpu" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/rfast/" --seconds 0.5 --fps 8 --renderer cpu
expect 0 "animate --renderer cpu-exact" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/rcpu/" --seconds 0.5 --fps 8 --renderer cpu-exact
low=""
for f in "$WORK"/rcpu/*.png; do
  p=$(compare -metric PSNR "$f" "$WORK/rfast/$(basename "$f")" null: 2>&1 | cut -d' ' -f1)
  [ "$p" = inf ] || awk -v p="$p" 'BEGIN { exit !(p + 0 >= 45) }' || low="$low $(basename "$f"):$p"
done
[ -z "$low" ] && [ -n "$(ls "$WORK"/rfast/*.png)" ] && ok || bad "fast CPU frames below 45 dB against cpu-exact:$low"
if "$CLI" animate "$WORK/tree.waft" -o "$WORK/rvk/" --seconds 0.5 --fps 8 --renderer vulkan >"$WORK/stdout" 2>"$WORK/stderr"; then
  worst=0
  for f in "$WORK"/rcpu/*.png; do
    n=$(compare -metric AE -fuzz 0.5% "$f" "$WORK/rvk/$(basename "$f")" null: 2>&1 | cut -d' ' -f1)
    [ "${n%.*}" -gt "$worst" ] && worst=${n%.*}
  done
  [ "$worst" -le 77 ] && ok || bad "vulkan frames differ from cpu in $worst pixels (> 0.1%)"
else
  grep -q "Vulkan\|vulkan" "$WORK/stderr" && [ "$(wc -l <"$WORK/stderr")" -eq 1 ] && ok || bad "vulkan failure is not one clear line"
fi
expect fail "unknown renderer" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/x.mp4" --renderer magic
expect fail "cuda renderer unavailable" -- "$CLI" animate "$WORK/tree.waft" -o "$WORK/x.mp4" --renderer cuda

# Pull
expect 0 "pull" -- "$CLI" pull "$WORK/tree.waft" --at 200,110 --drag 10,4 --hold 0.5 --seconds 1.5 --fps 20 -o "$WORK/pull.mp4"
grep -q "peak" "$WORK/stdout" && ok || bad "pull printed no summary"
expect fail "pull outside image" -- "$CLI" pull "$WORK/tree.waft" --at 5000,10 --drag 1,1 -o "$WORK/p.mp4"
expect fail "pull NaN drag" -- "$CLI" pull "$WORK/tree.waft" --at 10,10 --drag nan,1 -o "$WORK/p.mp4"
expect fail "pull malformed point" -- "$CLI" pull "$WORK/tree.waft" --at abc --drag 1,1 -o "$WORK/p.mp4"
expect fail "pull missing --drag" -- "$CLI" pull "$WORK/tree.waft" --at 10,10 -o "$WORK/p.mp4"
expect fail "pull damping out of range" -- "$CLI" pull "$WORK/tree.waft" --at 10,10 --drag 1,1 --damping 7 -o "$WORK/p.mp4"

# Motion brush from the command line: photo -> scene -> loop, by flags and by a stroke file
PHOTO="$DATA/middlebury-rubberwhale/RubberWhale1.png"
if [ -f "$PHOTO" ]; then
  expect 0 "brush by flags" -- "$CLI" brush "$PHOTO" -o "$WORK/brush.waft" --arrow 300,200,8,2 --arrow 100,100,0,5 \
    --anchor 500,350 --freeze 0,300,100,80 --loop-sec 2
  grep -q "584x388, 3 bands, 2.00 s loop from 2 arrows, 1 anchors, 1 freeze regions" "$WORK/stdout" && ok \
    || bad "brush summary: $(cat "$WORK/stdout")"
  expect 0 "brush scene animates" -- "$CLI" animate "$WORK/brush.waft" -o "$WORK/brush.webm" --fps 12
  cat >"$WORK/strokes.json" <<'JSON'
{"format": "waft-strokes", "version": 1, "width": 292, "height": 194,
 "arrows": [[150, 100, 4, 1]], "anchors": [[250, 175]], "freeze": [[0, 150, 50, 40]]}
JSON
  expect 0 "brush by stroke file" -- "$CLI" brush "$PHOTO" -o "$WORK/brush2.waft" --strokes "$WORK/strokes.json" --loop-sec 2
  "$CLI" info "$WORK/brush2.waft" | grep -q '"width": 584' && ok || bad "brush from strokes lost the photo size"
  printf '{"format": "waft-strokes", "width": 10, "height": 10, "arrows": [[1, 2, 3]]}' >"$WORK/bad-strokes.json"
  expect fail "brush with a malformed stroke file" -- "$CLI" brush "$PHOTO" -o "$WORK/x.waft" --strokes "$WORK/bad-strokes.json"
  printf '[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]' >"$WORK/deep.json"
  expect fail "brush with a deeply nested file" -- "$CLI" brush "$PHOTO" -o "$WORK/x.waft" --strokes "$WORK/deep.json"
  expect fail "brush without arrows" -- "$CLI" brush "$PHOTO" -o "$WORK/x.waft" --anchor 1,1
  expect fail "brush malformed arrow" -- "$CLI" brush "$PHOTO" -o "$WORK/x.waft" --arrow 1,2,3
  expect fail "brush arrow with trailing junk" -- "$CLI" brush "$PHOTO" -o "$WORK/x.waft" --arrow 1,2,3,4,foo
  expect fail "brush anchor with an empty field" -- "$CLI" brush "$PHOTO" -o "$WORK/x.waft" --arrow 1,2,3,4 --anchor 1,,2
  expect fail "brush NaN arrow" -- "$CLI" brush "$PHOTO" -o "$WORK/x.waft" --arrow 1,2,nan,4
  [ ! -e "$WORK/x.waft" ] && ok || bad "a failed brush left x.waft behind"
fi
expect fail "brush on a non-image" -- "$CLI" brush "$WORK/corrupt.mp4" -o "$WORK/x.waft" --arrow 1,1,1,1

# Flow
if [ -f "$DATA/middlebury-rubberwhale/RubberWhale1.png" ]; then
  expect 0 "flow with ground truth" -- "$CLI" flow "$DATA/middlebury-rubberwhale/RubberWhale1.png" \
    "$DATA/middlebury-rubberwhale/RubberWhale2.png" -o "$WORK/rw.flo" --gt "$DATA/middlebury-rubberwhale/RubberWhale.flo"
  grep -q '"epe_px"' "$WORK/stdout" && ok || bad "flow printed no EPE"
  [ "$(stat -c %s "$WORK/rw.flo")" -eq $((12 + 8 * 584 * 388)) ] && ok || bad ".flo has the wrong size"
fi
expect fail "flow on missing image" -- "$CLI" flow "$WORK/none.png" "$WORK/none.png" -o "$WORK/f.flo"
expect fail "flow on non-image" -- "$CLI" flow "$WORK/corrupt.mp4" "$WORK/corrupt.mp4" -o "$WORK/f.flo"

# Motion prior pipeline on the sample at tiny size: dataset -> VAE -> stage 1 -> stage 2 -> predict (with loop)
mkdir -p "$WORK/videos" "$WORK/empty"
cp "$RES/samples/tree.avi" "$WORK/videos/"
for c in dataset train-vae train-prior predict; do expect 0 "$c --help" -- "$CLI" "$c" --help; done
expect 0 "dataset" -- "$CLI" dataset "$WORK/videos" -o "$WORK/ds" --every 16 --frames 30 --k 6 --size 32x32
[ "$(ls "$WORK/ds" | wc -l)" -ge 2 ] && ok || bad "dataset wrote fewer than 2 scenes"
expect 0 "dataset resumes" -- "$CLI" dataset "$WORK/videos" -o "$WORK/ds" --every 16 --frames 30 --k 6 --size 32x32
grep -q "^0 written" "$WORK/stdout" && ok || bad "dataset did not resume: $(cat "$WORK/stdout")"
# Sharded: two disjoint parts into one folder give the same scenes; training waits for every part.
expect 0 "dataset --shard 0/2" -- "$CLI" dataset "$WORK/videos" -o "$WORK/ds-sh" --every 16 --frames 30 --k 6 --size 32x32 --shard 0/2
expect fail "train-vae on half a sharded dataset" -- "$CLI" train-vae "$WORK/ds-sh" -o "$WORK/x.safetensors" --preset tiny --size 32x32 --steps 1
grep -q "shard 1/2 is missing" "$WORK/stderr" && ok || bad "a missing shard was not named: $(cat "$WORK/stderr")"
expect 0 "dataset --shard 1/2" -- "$CLI" dataset "$WORK/videos" -o "$WORK/ds-sh" --every 16 --frames 30 --k 6 --size 32x32 --shard 1/2
expect 0 "dataset --shard 1/2 again" -- "$CLI" dataset "$WORK/videos" -o "$WORK/ds-sh" --every 16 --frames 30 --k 6 --size 32x32 --shard 1/2
grep -q "^0 written" "$WORK/stdout" && ok || bad "re-running a shard wrote again: $(cat "$WORK/stdout")"
[ "$(ls "$WORK/ds-sh"/*.waft | xargs -n1 basename | sort)" = "$(ls "$WORK/ds"/*.waft | xargs -n1 basename | sort)" ] && ok || bad "the shards do not make up the dataset"
mkdir -p "$WORK/ds-badshard" && cp "$WORK/ds"/*.waft "$WORK/ds-badshard/" && : >"$WORK/ds-badshard/dataset-shard-99999999999-of-2.shard"
expect fail "a dataset with a hostile shard marker" -- "$CLI" train-vae "$WORK/ds-badshard" -o "$WORK/x.safetensors" --preset tiny --size 32x32 --steps 1
for sh in 2/2 -1/2 1 a/b 0/0; do expect fail "dataset --shard $sh" -- "$CLI" dataset "$WORK/videos" -o "$WORK/x" --shard "$sh"; done
TRAIN="--preset tiny --size 32x32 --batch 4 --checkpoint-every 0"
expect 0 "train-vae" -- "$CLI" train-vae "$WORK/ds" -o "$WORK/vae.safetensors" $TRAIN --steps 8 --lr 2e-3
[ -f "$WORK/vae.train-state.safetensors" ] && ok || bad "train-vae wrote no training state"
expect 0 "train-vae --resume" -- "$CLI" train-vae "$WORK/ds" -o "$WORK/vae.safetensors" $TRAIN --steps 10 --lr 2e-3 --resume
grep -q "10 steps" "$WORK/stdout" && ok || bad "train-vae did not resume to 10 steps"
expect 0 "train-vae, 10 steps without stopping" -- "$CLI" train-vae "$WORK/ds" -o "$WORK/vae-straight.safetensors" $TRAIN --steps 10 --lr 2e-3
cmp -s "$WORK/vae.safetensors" "$WORK/vae-straight.safetensors" && ok || bad "8 steps + resume to 10 differs from 10 steps"
# kill -9 during training: the job is journalled, `jobs` lists it as interrupted, `resume` continues after the
# last checkpoint (not from step 0) and the journal is empty afterwards; bad ids and hostile journal files fail
# with one line.
expect 0 "jobs (none)" -- "$CLI" jobs
grep -q "^no interrupted jobs" "$WORK/stdout" && ok || bad "jobs on an empty journal: $(cat "$WORK/stdout")"
"$CLI" train-vae "$WORK/ds" -o "$WORK/vae-killed.safetensors" $TRAIN --checkpoint-every 3 --steps 200 --lr 2e-3 \
  >/dev/null 2>&1 &
trainer=$!
for _ in $(seq 1 1200); do [ -f "$WORK/vae-killed.safetensors" ] && break; sleep 0.1; done
kill -9 "$trainer"; wait "$trainer" 2>/dev/null
expect 0 "jobs after kill -9" -- "$CLI" jobs
grep -q "train motion VAE → vae-killed.safetensors  (interrupted)" "$WORK/stdout" && ok || bad "kill -9 left no interrupted job: $(cat "$WORK/stdout")"
job=$(awk '{print $1; exit}' "$WORK/stdout")
expect 0 "resume after kill -9" -- "$CLI" resume "$job"
grep -Eq "done \(steps ([3-9]|[1-9][0-9]+) to 200" "$WORK/stdout" && ok || bad "resume did not continue from a checkpoint: $(cat "$WORK/stdout")"
expect 0 "jobs after resume" -- "$CLI" jobs
grep -q "^no interrupted jobs" "$WORK/stdout" && ok || bad "a finished resume stayed in the journal: $(cat "$WORK/stdout")"
expect fail "resume an unknown id" -- "$CLI" resume 123-456-7
expect fail "resume without an id" -- "$CLI" resume
printf '{"format":"waft-job","version":1,"kind":"rm -rf","params":"{}"}' >"$WORK/state/1-1-1.json"
expect fail "resume a job of an unknown kind" -- "$CLI" resume 1-1-1
printf '{"format":"waft-job","version":1,"kind":"train-vae","params":"{\\"run\\":{\\"batch\\":-3}}"}' >"$WORK/state/1-1-2.json"
expect fail "resume a job spec with a bad field" -- "$CLI" resume 1-1-2
grep -q "batch" "$WORK/stderr" && ok || bad "bad job spec error does not name the field: $(cat "$WORK/stderr")"
head -c 70000 /dev/zero | tr '\0' '[' >"$WORK/state/1-1-3.json"
expect 0 "jobs with hostile journal files" -- "$CLI" jobs
grep -q "skipped 1-1-3.json" "$WORK/stderr" && ok || bad "an oversized journal file was not reported: $(cat "$WORK/stderr")"
expect 0 "jobs --discard an unreadable entry" -- "$CLI" jobs --discard 1-1-3
expect 0 "jobs --discard" -- "$CLI" jobs --discard 1-1-1
expect 0 "jobs --discard" -- "$CLI" jobs --discard 1-1-2
expect fail "jobs --discard twice" -- "$CLI" jobs --discard 1-1-2

# Distributed training (Gloo over loopback): `launch` runs ranks as torchrun would; ranks started by hand with
# torchrun's variables are the same thing. A killed rank ends the other within the timeout with one line naming
# it; resuming from the last checkpoint equals the run that was never interrupted, byte for byte.
expect 0 "launch --help" -- "$CLI" launch --help
expect fail "launch without a command" -- "$CLI" launch --nproc 2
expect fail "launch of a non-training command" -- "$CLI" launch --nproc 2 -- animate x.waft -o y.mp4
expect fail "launch --nproc 0" -- "$CLI" launch --nproc 0 -- train-vae "$WORK/ds" -o "$WORK/x.safetensors"
DIST="--preset tiny --size 32x32 --batch 2 --lr 2e-3 --checkpoint-every 20"
expect 0 "launch 2 ranks" -- env OMP_NUM_THREADS=1 "$CLI" launch --nproc 2 -- train-vae "$WORK/ds" -o "$WORK/vae-2r.safetensors" $DIST --steps 160
grep -q "2 ranks, collectives" "$WORK/stdout" && ok || bad "launch printed no collectives share: $(cat "$WORK/stdout")"
[ "$(grep -c "vae-2r.safetensors" "$WORK/stdout")" -eq 1 ] && ok || bad "more than rank 0 reported: $(cat "$WORK/stdout")"
expect fail "a rank with a bad WORLD_SIZE" -- env WORLD_SIZE=two RANK=0 "$CLI" train-vae "$WORK/ds" -o "$WORK/x.safetensors" $DIST --steps 2
port=$((20000 + RANDOM % 20000))
# exec: $! is the rank itself. One thread each, as launch gives them on 2 cores: the same arithmetic, bit for bit.
rank() { exec env WORLD_SIZE=2 RANK=$1 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port WAFT_DIST_TIMEOUT=30 OMP_NUM_THREADS=1 \
  "$CLI" train-vae "$WORK/ds" -o "$WORK/vae-2k.safetensors" $DIST --steps 160; }
rank 0 >/dev/null 2>"$WORK/rank0.err" &
rank0=$!
rank 1 >/dev/null 2>&1 &
rank1=$!
for _ in $(seq 1 600); do [ -f "$WORK/vae-2k.safetensors" ] && break; sleep 0.05; done
kill -9 "$rank1"; wait "$rank1" 2>/dev/null
start=$(date +%s)
wait "$rank0"; code=$?
[ "$code" -ne 0 ] && [ "$(wc -l <"$WORK/rank0.err")" -eq 1 ] && grep -q "rank 1 has exited" "$WORK/rank0.err" && ok ||
  bad "rank 0 after rank 1 was killed: exit $code, stderr: $(head -c 300 "$WORK/rank0.err")"
[ $(($(date +%s) - start)) -le 40 ] && ok || bad "rank 0 took over the 30 s timeout to stop"
expect 0 "launch --resume after a killed rank" -- env OMP_NUM_THREADS=1 "$CLI" launch --nproc 2 -- train-vae "$WORK/ds" -o "$WORK/vae-2k.safetensors" $DIST --steps 160 --resume
cmp -s "$WORK/vae-2k.safetensors" "$WORK/vae-2r.safetensors" && ok || bad "2 ranks killed and resumed differ from 2 ranks uninterrupted"
cmp -s "$WORK/vae-2k.train-state.safetensors" "$WORK/vae-2r.train-state.safetensors" && ok || bad "the training states differ"
expect 0 "resume a 2-rank run in one process" -- "$CLI" train-vae "$WORK/ds" -o "$WORK/vae-2k.safetensors" $DIST --steps 170 --resume

expect 0 "train-prior stage 1" -- "$CLI" train-prior "$WORK/ds" --vae "$WORK/vae.safetensors" --stage 1 -o "$WORK/p1.safetensors" $TRAIN --steps 6
expect 0 "train-prior stage 2" -- "$CLI" train-prior "$WORK/ds" --vae "$WORK/vae.safetensors" --stage 2 --init "$WORK/p1.safetensors" -o "$WORK/p2.safetensors" $TRAIN --steps 3
expect 0 "predict --loop" -- "$CLI" predict "$DATA/middlebury-rubberwhale/RubberWhale1.png" --model "$WORK/p2.safetensors" --vae "$WORK/vae.safetensors" -o "$WORK/pred.waft" --steps 4 --loop
expect 0 "info on the prediction" -- "$CLI" info "$WORK/pred.waft"
grep -q '"bands": 6' "$WORK/stdout" && ok || bad "predicted scene lacks 6 bands"
grep -q '"width": 584' "$WORK/stdout" && ok || bad "predicted scene does not keep the photo's 584 px width"
expect 0 "predict --max-size" -- "$CLI" predict "$DATA/middlebury-rubberwhale/RubberWhale1.png" --model "$WORK/p2.safetensors" --vae "$WORK/vae.safetensors" -o "$WORK/pred-small.waft" --steps 2 --max-size 292
grep -q "292x194, 6 bands" "$WORK/stdout" && ok || bad "predict --max-size did not downscale the photo: $(cat "$WORK/stdout")"
expect fail "train-vae on an empty folder" -- "$CLI" train-vae "$WORK/empty" -o "$WORK/x.safetensors" $TRAIN --steps 2
expect fail "stage 2 without --init" -- "$CLI" train-prior "$WORK/ds" --vae "$WORK/vae.safetensors" --stage 2 -o "$WORK/x.safetensors" $TRAIN --steps 2
expect fail "predict with the VAE as model" -- "$CLI" predict "$DATA/middlebury-rubberwhale/RubberWhale1.png" --model "$WORK/vae.safetensors" --vae "$WORK/vae.safetensors" -o "$WORK/x.waft"
expect fail "predict on a non-image" -- "$CLI" predict "$WORK/corrupt.mp4" --model "$WORK/p2.safetensors" --vae "$WORK/vae.safetensors" -o "$WORK/x.waft"
expect fail "bad preset" -- "$CLI" train-vae "$WORK/ds" -o "$WORK/x.safetensors" --preset huge
expect fail "bad --precision" -- "$CLI" train-vae "$WORK/ds" -o "$WORK/x.safetensors" --precision fp8
expect fail "fp16 on the CPU" -- "$CLI" predict "$DATA/middlebury-rubberwhale/RubberWhale1.png" --model "$WORK/p2.safetensors" --vae "$WORK/vae.safetensors" -o "$WORK/x.waft" --device cpu --precision fp16
# The benchmark's whole path in seconds (its real run is documented in docs/BENCHMARKS.md, not a test).
expect 0 "bench-prior (seconds)" -- "$CLI" bench-prior -o "$WORK/bench" --train 6 --test 2 --vae-steps 4 --prior-steps 4 --sampling-steps 3
grep -q "\"moving_error_px\": {\"zero\"" "$WORK/stdout" && grep -q "vae_round_trip" "$WORK/stdout" && ok || bad "bench-prior printed no report"

rm -rf "$WORK"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
