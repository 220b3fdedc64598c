#!/usr/bin/env python3
"""Waft's hand-made hostile inputs: writes each file, runs the waft-cli command that reads it, and checks what
the user gets: no signal, the expected exit status, exactly one line on stderr for a refusal, within a time and
a memory bound (the child's own peak resident set). The last group also gives absurd numbers, unwritable and
size-limited outputs (RLIMIT_FSIZE: a disk that fills up) and paths with spaces and non-ASCII names, and proves
nothing is lost: the file already at the output path keeps its bytes and no temporary file is left beside it.
Prints the table of docs/RELIABILITY.md (--table) and exits 1 if any input misbehaves.

usage: hostile.py WAFT_CLI DATA_DIR WORK_DIR [--table]
"""
import hashlib
import json
import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import zlib

TIME_LIMIT_SEC = 30.0    # generous: every refusal takes well under a second on CI's two cores
RSS_LIMIT_MB = 1500      # LibTorch and OpenCV alone are ~300 MB resident; a hostile file must not add GBs

CLI, DATA, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
TABLE = "--table" in sys.argv
os.makedirs(WORK, exist_ok=True)
PHOTO = os.path.join(DATA, "middlebury-rubberwhale", "RubberWhale1.png")
PHOTO2 = os.path.join(DATA, "middlebury-rubberwhale", "RubberWhale2.png")


def path(name):
    return os.path.join(WORK, name)


def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path(name)


def safetensors(header_text, data=b""):
    header = header_text.encode("utf-8") if isinstance(header_text, str) else header_text
    return struct.pack("<Q", len(header)) + header + data


def st_file(name, header_obj, data=b""):
    return write(name, safetensors(json.dumps(header_obj, separators=(",", ":")), data))


def scene_header(k=2, h=4, w=4, meta=None, extra=None, drop=(), spectral_dtype="F32"):
    """A well-formed scene header (the file is made valid first, then one thing is broken)."""
    n_spec = k * 4 * h * w * 4
    header = {
        "__metadata__": {"format": "waft-scene", "version": "1", "source_fps": "30", "source_duration_sec": "1"},
        "spectral": {"dtype": spectral_dtype, "shape": [k, 4, h, w], "data_offsets": [0, n_spec]},
        "frequencies_hz": {"dtype": "F32", "shape": [k], "data_offsets": [n_spec, n_spec + 4 * k]},
        "image": {"dtype": "U8", "shape": [h, w, 3], "data_offsets": [n_spec + 4 * k, n_spec + 4 * k + h * w * 3]},
    }
    if meta:
        header["__metadata__"].update(meta)
    for key in drop:
        header.pop(key, None)
    if extra:
        header.update(extra)
    return header, n_spec + 4 * k + h * w * 3


def scene(name, values=None, freqs=None, **kw):
    header, size = scene_header(**kw)
    k, h, w = kw.get("k", 2), kw.get("h", 4), kw.get("w", 4)
    spec = values if values is not None else [0.1] * (k * 4 * h * w)
    fr = freqs if freqs is not None else [0.5 * (i + 1) for i in range(k)]
    data = struct.pack("<%df" % len(spec), *spec) + struct.pack("<%df" % len(fr), *fr) + bytes(h * w * 3)
    data = data[:size] + bytes(max(0, size - len(data)))
    return st_file(name, header, data)


def model(name, kind, config, tensors=None):
    header = {"__metadata__": {"format": "waft-model", "kind": kind, "config": config}}
    return write(name, safetensors(json.dumps(header, separators=(",", ":"))))


def flo(name, w, h, values=None, magic=202021.25, cut=0):
    body = struct.pack("<fii", magic, w, h)
    if values is not None:
        body += struct.pack("<%df" % len(values), *values)
    return write(name, body[: len(body) - cut] if cut else body)


# ---- the set: (file, what it is, command, expected exit, needle in the one stderr line) ----
cases = []


def case(file, what, args, code=1, needle="", keep=(), fsize=0):
    """keep: files that must keep their bytes (each is (re)written before the run); fsize: RLIMIT_FSIZE bytes."""
    cases.append((file, what, args, code, needle, tuple(keep), fsize))


def info(file, what, needle=""):
    case(file, what, ["info", file], 1, needle)


# Safetensors container (every reader: scenes, models, SD checkpoints)
info(write("empty.waft", b""), "empty file", "shorter than")
info(write("seven-bytes.waft", b"\x05\0\0\0\0\0\0"), "7 bytes", "shorter than")
info(write("header-2e63.waft", struct.pack("<Q", 1 << 63) + b"{}"), "header size 2^63", "header")
info(write("header-past-end.waft", struct.pack("<Q", 4096) + b"{}"), "header size past the end", "")
info(write("header-not-json.waft", safetensors("{not json")), "header is not JSON", "not valid JSON")
info(write("header-array.waft", safetensors("[1,2,3]")), "header starts with '['", "")
deep = '{"a":{"dtype":' + "[" * 58000 + "]" * 58000 + ',"shape":[],"data_offsets":[0,0]}}'
info(write("dtype-58000-deep.waft", safetensors(deep)), "dtype nested 58,000 arrays deep (was: stack overflow)",
     "nested too deeply")
info(write("nesting-17.waft", safetensors('{"a":' + "[" * 17 + "]" * 17 + "}")), "17 levels of nesting", "nested")
info(write("duplicate-names.waft", safetensors('{"t":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},'
                                               '"t":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}')),
     "a tensor name twice", "repeats a tensor name")
many = "{" + ",".join('"t%d":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}' % i for i in range(40000)) + "}"
info(write("40000-empty-tensors.waft", safetensors(many)), "40,000 legal zero-size tensors (was: 14 s, quadratic)",
     "not a Waft scene")
info(st_file("long-dtype.waft", {"t": {"dtype": "X" * 1000000, "shape": [1], "data_offsets": [0, 1]}}, b"\0"),
     "a 1 MB dtype string", "unknown dtype")
info(st_file("newline-name.waft", {"a\nb\r\x1b[31m": {"dtype": "U8", "shape": [2], "data_offsets": [0, 1]}}, b"\0"),
     "tensor name with newline and escape codes", "needs 2 bytes")
info(st_file("negative-extent.waft", {"t": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}}),
     "negative extent", "negative")
info(st_file("extent-2e50.waft", {"t": {"dtype": "F32", "shape": [1 << 50], "data_offsets": [0, 0]}}),
     "extent 2^50", "absurd extent")
info(st_file("numel-overflow.waft", {"t": {"dtype": "F64", "shape": [1 << 40, 1 << 40, 0],
                                           "data_offsets": [0, 0]}}), "extents whose product overflows", "too large")
info(st_file("offsets-past-end.waft", {"t": {"dtype": "U8", "shape": [100], "data_offsets": [0, 100]}}, b"\0" * 10),
     "data past the end of the file", "truncated")
info(st_file("overlap.waft", {"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
                              "b": {"dtype": "U8", "shape": [4], "data_offsets": [2, 6]}}, b"\0" * 6),
     "two tensors overlapping", "overlap")
info(st_file("hole.waft", {"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]},
                           "b": {"dtype": "U8", "shape": [2], "data_offsets": [4, 6]}}, b"\0" * 6),
     "a hole between tensors", "hole")
info(st_file("trailing.waft", {"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}}, b"\0" * 9),
     "bytes after the last tensor", "not owned")
info(write("metadata-number.waft", safetensors('{"__metadata__":{"format":7}}')), "metadata value not a string",
     "not a string")
# Scenes
info(scene("not-a-scene.waft", meta={"format": "waft-model"}), "a model, opened as a scene", "not a Waft scene")
info(scene("version-99.waft", meta={"version": "99"}), "scene version 99", "version")
header, size = scene_header()
header["spectral"]["shape"] = [2, 4, 16]
info(st_file("spectral-rank-3.waft", header, bytes(size)), "spectral tensor of rank 3", "misshapen")
info(scene("bands-100000.waft", k=100000, h=1, w=1), "100,000 bands", "absurd scene size")
info(scene("width-100000.waft", k=1, h=1, w=100000), "100,000 pixels wide", "absurd scene size")
info(scene("nan-motion.waft", values=[float("nan")] * 128), "NaN motion coefficients", "")
info(scene("inf-motion.waft", values=[float("inf")] * 128), "infinite motion coefficients", "")
info(scene("huge-motion.waft", values=[1e30] * 128), "1e30-pixel motion (was: accepted)", "absurd")
info(scene("negative-frequency.waft", freqs=[-1.0, 2.0]), "a negative band frequency", "")
info(scene("no-image.waft", drop=("image",)), "no photo tensor", "image")
info(scene("f16-spectral.waft", spectral_dtype="F16"), "spectral stored as F16 with F32's byte count", "")
info(scene("settings-deep.waft", meta={"settings": "[" * 100 + "]" * 100}), "settings JSON 100 deep", "nested")
info(scene("settings-speed.waft", meta={"settings": '{"speed": -1}'}), "negative playback speed", "speed")
info(scene("settings-not-json.waft", meta={"settings": "{speed"}), "settings not JSON", "not JSON")
info(scene("source-control-chars.waft",
           meta={"source": json.dumps({"video": "a\nb.mp4", "start_sec": 0, "end_sec": 1})}),
     "source path with a newline", "control characters")
info(scene("source-backwards.waft", meta={"source": json.dumps({"video": "a.mp4", "start_sec": 5, "end_sec": 1})}),
     "source range ending before it starts", "")
header, size = scene_header(extra={})
header["band_gains"] = {"dtype": "F32", "shape": [7], "data_offsets": [size, size + 28]}
info(st_file("band-gains-7.waft", header, bytes(size + 28)), "7 band gains for 2 bands", "")
# Motion models (predict loads the denoiser and the VAE)
small_vae = model("vae-config-only.safetensors", "vae", json.dumps({"channels": [8, 16], "groups": 4}))


def predict(file, what, needle, vae=None):
    case(file, what, ["predict", PHOTO, "--model", file, "--vae", vae or small_vae, "-o", path("out.waft")], 1,
         needle)


predict(scene("scene-as-model.safetensors"), "a scene given as the motion model", "not a Waft model")
predict(model("kind-scene.safetensors", "vae", "{}"), "a VAE given as the denoiser", "expected 'unet'")
predict(model("unet-huge.safetensors", "unet", json.dumps({"model_channels": 8192, "channel_mults": [64] * 8,
                                                           "res_blocks_per_level": 8})),
        "200-byte config asking for trillions of parameters (was: tens of GB)", "parameters, at most")
predict(model("unet-groups.safetensors", "unet", json.dumps({"model_channels": 32, "channel_mults": [2, 3],
                                                             "groups": 64, "heads": 4})),
        "GroupNorm groups not dividing a level's channels (was: abort)", "does not divide")
predict(model("unet-negative.safetensors", "unet", json.dumps({"model_channels": -64, "channel_mults": [-2]})),
        "negative channels times a negative multiplier (was: abort)", "model_channels")
predict(model("unet-float.safetensors", "unet", json.dumps({"model_channels": 1e12})),
        "1e12 as a channel count (was: out-of-range cast)", "model_channels")
predict(model("unet-odd-channels.safetensors", "unet", json.dumps({"model_channels": 33, "groups": 1, "heads": 1})),
        "odd model_channels (timestep embedding)", "even")
predict(model("unet-nested.safetensors", "unet", '{"channel_mults":' + "[" * 30 + "]" * 30 + "}"),
        "config nested 30 deep", "nested")
predict(model("unet-no-tensors.safetensors", "unet", json.dumps({"model_channels": 8, "channel_mults": [1, 2],
                                                                 "groups": 4, "heads": 2,
                                                                 "attention_levels": [1]})),
        "a valid config without its tensors", "is missing")
predict(model("unet-prediction.safetensors", "unet", json.dumps({"model_channels": 8, "groups": 4, "heads": 2,
                                                                 "prediction": "x0"})),
        "unknown prediction type", "prediction")
# Flow fields (--gt): readFlo
for name, what, body, needle in [
    ("bad-magic.flo", "wrong magic", dict(w=584, h=388, magic=1.0), "not a Middlebury"),
    ("absurd-size.flo", "1,000,000 x 1,000,000 claimed", dict(w=1000000, h=1000000), "absurd .flo size"),
    ("negative-size.flo", "negative width", dict(w=-5, h=388), "absurd .flo size"),
    ("truncated.flo", "half the data", dict(w=584, h=388, values=[0.0] * (584 * 388)), "truncated"),
]:
    case(flo(name, **body), what, ["flow", PHOTO, PHOTO2, "-o", path("o.flo"), "--gt", path(name)], 1, needle)
case(flo("other-size.flo", 16, 16, values=[0.0] * 512), "ground truth of another size",
     ["flow", PHOTO, PHOTO2, "-o", path("o.flo"), "--gt", path("other-size.flo")], 1, "size differs")
# Stroke files (brush --strokes)
for name, what, text, needle in [
    ("strokes-deep.json", "strokes nested 10,000 deep", "[" * 10000 + "]" * 10000, ""),
    ("strokes-not-json.json", "strokes not JSON", "{arrows", ""),
    ("strokes-format-number.json", "format is a number (found by fuzz_strokes: was an uncaught exception)",
     '{"format": 511627776, "width": 4, "height": 4}', "not a Waft stroke file"),
    ("strokes-many.json", "a million arrows",
     json.dumps({"format": "waft-strokes", "version": 1, "width": 584, "height": 388,
                "arrows": [[1, 1, 1, 1]] * 1000000}), "more than"),
    ("strokes-width.json", "width 2^40", json.dumps({"format": "waft-strokes", "version": 1, "width": 1 << 40, "height": 1, "arrows": []}),
     "width"),
]:
    case(write(name, text), what, ["brush", PHOTO, "-o", path("b.waft"), "--strokes", path(name)], 1, needle)
# Images and videos
case(write("truncated.png", open(PHOTO, "rb").read()[:3000]), "a PNG cut short",
     ["brush", path("truncated.png"), "-o", path("b.waft"), "--arrow", "10,10,5,0"], 1, "")
def png_claiming(width, height):
    """The real photo with its IHDR size replaced, and the chunk's CRC made right again (else libpng stops at the
    CRC and the size check is never reached)."""
    png = open(PHOTO, "rb").read()
    ihdr = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + png[33:]


png_huge = png_claiming(60000, 60000)
case(write("png-claims-60000.png", png_huge), "a PNG whose header claims 60000 x 60000 (was: OpenCV's assertion text)",
     ["brush", path("png-claims-60000.png"), "-o", path("b.waft"), "--arrow", "10,10,5,0"], 1, "claims")
case(write("random.mp4", b"\0\0\0\x18ftypmp42" + os.urandom(20000)), "an MP4 of random bytes",
     ["extract", path("random.mp4"), "-o", path("e.waft")], 1, "")
case(write("text.avi", "not a video\n" * 100), "a text file named .avi", ["extract", path("text.avi"), "-o",
                                                                          path("e.waft")], 1, "")

# Outputs, numbers and paths: nothing lost. A real scene and a real (tiny) renderer model to break.
VIDEO = os.path.join(DATA, "opencv-samples", "tree.avi")
subprocess.run([CLI, "brush", PHOTO, "-o", path("valid.waft"), "--arrow", "100,100,12,0", "--max-size", "160"],
               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.makedirs(path("clips"), exist_ok=True)
shutil.copy(VIDEO, path("clips/tree.avi"))
subprocess.run([CLI, "train-renderer", path("clips"), "-o", path("renderer.safetensors"), "--preset", "tiny",
                "--steps", "2", "--pairs", "2", "--batch", "1", "--size", "32x32"],
               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, WAFT_STATE_DIR=path("state")))
valid = open(path("valid.waft"), "rb").read()
renderer = open(path("renderer.safetensors"), "rb").read()
header_len = struct.unpack("<Q", valid[:8])[0]
OUT = path("precious.mp4")  # an earlier export at the output path: every failing run must leave it as it was


def animate(file, what, extra, needle="", out=None, fsize=0, keep=None):
    out = out or OUT
    case(file, what, ["animate", file, "-o", out, "--seconds", "1", "--fps", "10"] + extra, 1, needle,
         keep=[out] if keep is None else keep, fsize=fsize)


def flipped(data, at, new):
    return data[:at] + new + data[at + len(new):]


info(write("truncated-real.waft", valid[: len(valid) * 6 // 10]), "a real scene cut at 60%", "truncated")
info(write("bitflip-header.waft", flipped(valid, 8 + header_len // 2, b"\xff")), "a real scene, one header byte flipped", "")
spectral = json.loads(valid[8:8 + header_len])["spectral"]
spectral_at = 8 + header_len + spectral["data_offsets"][0]
infinity = b"\x00\x7c" if spectral["dtype"] == "F16" else b"\x00\x00\x80\x7f"
info(write("bitflip-to-inf.waft", flipped(valid, spectral_at, infinity)), "a real scene, bits flipped into an infinity",
     "infinite")
nf = ["--renderer", "neural", "--renderer-model"]
animate(path("valid.waft"), "a real renderer model cut in half",
        nf + [write("renderer-truncated.safetensors", renderer[: len(renderer) // 2])], "truncated")
rh = struct.unpack("<Q", renderer[:8])[0]
animate(path("valid.waft"), "a real renderer model, a header byte flipped",
        nf + [write("renderer-bitflip.safetensors", flipped(renderer, 8 + rh // 3, b"\x01"))])
renderer_header = json.loads(renderer[8:8 + rh])
first = next(k for k in renderer_header if k != "__metadata__")
animate(path("valid.waft"), "a real renderer model, a weight flipped to NaN",
        nf + [write("renderer-nan.safetensors", flipped(renderer, 8 + rh + renderer_header[first]["data_offsets"][0],
                                                        b"\x00\x00\xc0\x7f"))], "NaN")
animate(path("valid.waft"), "a scene given as the renderer model", nf + [path("valid.waft")], "")
# The web page export (waft-cli web): one line, and an earlier page at the output path keeps its bytes.
PAGE = path("precious.html")
case(scene("still.waft", values=[0.0] * (2 * 4 * 16 * 16), h=16, w=16), "web: a scene in which nothing moves",
     ["web", path("still.waft"), "-o", PAGE], 1, "nothing in this scene moves", keep=[PAGE])
case(write("garbage.waft", b"\x00\x01 not a scene at all " * 40), "web: a corrupt scene",
     ["web", path("garbage.waft"), "-o", PAGE], 1, "", keep=[PAGE])
case(path("valid.waft"), "web: an absurd --size (100000x100000)",
     ["web", path("valid.waft"), "-o", PAGE, "--size", "100000x100000"], 1, "size", keep=[PAGE])
case(path("valid.waft"), "web: a --size beyond WebGL's 4096 (5000x5000)",
     ["web", path("valid.waft"), "-o", PAGE, "--size", "5000x5000"], 1, "4096", keep=[PAGE])
case(path("valid.waft"), "web: --bands 0", ["web", path("valid.waft"), "-o", PAGE, "--bands", "0"], 1, "bands",
     keep=[PAGE])
case(write("zero-bytes.png", b""), "a 0-byte image", ["brush", path("zero-bytes.png"), "-o", path("b.waft"),
                                                      "--arrow", "1,1,1,0"], 1, "", keep=[path("b.waft")])
png100k = png_claiming(100000, 100000)
case(write("png-claims-100000.png", png100k), "a PNG whose header claims 100000 x 100000",
     ["brush", path("png-claims-100000.png"), "-o", path("b.waft"), "--arrow", "1,1,1,0"], 1, "claims",
     keep=[path("b.waft")])
jpeg_huge = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + \
    b"\xff\xc0\x00\x11\x08\xff\xff\xff\xff\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01" + b"\x00" * 64 + b"\xff\xd9"
case(write("jpeg-claims-65535.jpg", jpeg_huge), "a JPEG whose frame header claims 65535 x 65535",
     ["flow", path("jpeg-claims-65535.jpg"), PHOTO2, "-o", path("o.flo")], 1, "claims", keep=[path("o.flo")])
subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=green:s=64x48:r=10", "-frames:v", "1",
                path("one-frame.mp4")], check=True)
case(path("one-frame.mp4"), "a video of one frame", ["extract", path("one-frame.mp4"), "-o", path("e.waft")], 1, "",
     keep=[path("e.waft")])
animate(path("valid.waft"), "--fps -5", ["--fps", "-5"], "--fps")
animate(path("valid.waft"), "--fps 0", ["--fps", "0"], "--fps")
animate(path("valid.waft"), "--seconds 1e9", ["--seconds", "1e9"], "--seconds")
animate(path("valid.waft"), "--size 100000x100000", ["--size", "100000x100000"], "--size")
animate(path("valid.waft"), "--gain nan", ["--gain", "nan"], "--gain")
case(path("valid.waft"), "pull --hold 1e9", ["pull", path("valid.waft"), "--at", "10,10", "--drag", "5,0", "--hold",
                                              "1e9", "-o", OUT], 1, "--hold", keep=[OUT])
case(VIDEO, "extract --frames -1", ["extract", VIDEO, "-o", path("e.waft"), "--frames", "-1"], 1, "--frames",
     keep=[path("e.waft")])
case(path("clips"), "train-renderer --steps 0", ["train-renderer", path("clips"), "-o", path("r0.safetensors"),
                                                 "--steps", "0"], 1, "--steps", keep=[path("r0.safetensors")])
animate(path("valid.waft"), "output in a folder that does not exist", [], "does not exist", out="/proc/waft/out.mp4",
        keep=[])
animate(path("valid.waft"), "output in a folder nobody may write (/proc, even as root)", [], "cannot write",
        out="/proc/out.mp4", keep=[])
write("a-file", "not a folder")
animate(path("valid.waft"), "output under a file, as if a folder", [], "not a folder", out=path("a-file/out.mp4"),
        keep=[path("a-file")])
animate(path("valid.waft"), "not an export format (.waft)", [], "", out=path("valid-copy.waft"))
os.makedirs(path("frames-taken"), exist_ok=True)
write("frames-taken/0000.png", "an earlier frame")
animate(path("valid.waft"), "PNG frames into a folder that has files", [], "not an empty folder",
        out=path("frames-taken") + "/", keep=[path("frames-taken/0000.png")])
for ext, what in (("mp4", "MP4"), ("gif", "GIF"), ("webp", "animated WebP")):
    animate(path("valid.waft"), "disk full: a 16 KB file size limit, %s" % what, ["--seconds", "4", "--size", "320x0"],
            "", out=path("full." + ext), fsize=16384)
animate(path("valid.waft"), "disk full: a 16 KB file size limit, PNG frames", ["--seconds", "4", "--size", "320x0"],
        "", out=path("full-frames") + "/", fsize=16384, keep=[])
case(VIDEO, "disk full: a 64 KB file size limit, extract's scene", ["extract", VIDEO, "-o", path("full.waft"), "--frames",
                                                                     "12"], 1, "File too large", keep=[path("full.waft")],
     fsize=65536)
odd = path("a folder with spaces/ツリー é")
os.makedirs(odd, exist_ok=True)
info(scene(os.path.join("a folder with spaces/ツリー é", "nan scène.waft"), values=[float("nan")] * 128),
     "a NaN scene at a path with spaces and non-ASCII", "ツリー é/nan scène.waft")
shutil.copy(VIDEO, os.path.join(odd, "vidéo 1.avi"))
case(os.path.join(odd, "vidéo 1.avi"), "extract from and to paths with spaces and non-ASCII (succeeds)",
     ["extract", os.path.join(odd, "vidéo 1.avi"), "-o", os.path.join(odd, "scène 1.waft"), "--frames", "12"], 0)

# ---- run them ----
failures = []
rows = []
def digest(p):
    if os.path.isdir(p):
        return "dir"
    with open(p, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def limited(fsize):
    def apply():
        if fsize:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() then fails with EFBIG, as on a full disk
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    return apply


for file, what, args, code, needle, keep, fsize in cases:
    before = {}
    for k in keep:
        if not os.path.exists(k):
            write(os.path.relpath(k, WORK), "precious: " + os.path.basename(k))
        before[k] = digest(k)
    folders = {os.path.dirname(a.rstrip("/")) for a in args if a.startswith(WORK)}
    listed = {d: set(os.listdir(d)) for d in folders if os.path.isdir(d)}
    start = time.monotonic()
    with open(path("stderr.txt"), "w+b") as errfile:
        proc = subprocess.Popen([CLI] + args, stdout=subprocess.DEVNULL, stderr=errfile,
                                env=dict(os.environ, WAFT_STATE_DIR=path("state")), preexec_fn=limited(fsize))
        killer = threading.Timer(TIME_LIMIT_SEC, proc.kill)
        killer.start()
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak resident set
        killer.cancel()
        proc.returncode = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        errfile.seek(0)
        err = errfile.read()
    sec = time.monotonic() - start
    rss_mb = usage.ru_maxrss / 1024.0
    lines = err.decode("utf-8", "replace").splitlines()
    line = lines[0] if lines else ""
    problems = []
    if proc.returncode < 0:
        problems.append("killed by signal %d" % -proc.returncode)
    elif proc.returncode != code:
        problems.append("exit %d, expected %d" % (proc.returncode, code))
    if code == 1 and len(lines) != 1:
        problems.append("%d lines on stderr" % len(lines))
    if needle and needle not in line:
        problems.append("the line lacks '%s'" % needle)
    if sec > TIME_LIMIT_SEC:
        problems.append("took %.1f s" % sec)
    if rss_mb > RSS_LIMIT_MB:
        problems.append("peak resident %.0f MB" % rss_mb)
    for k, d in before.items():
        if not os.path.exists(k) or digest(k) != d:
            problems.append("%s was changed" % os.path.basename(k))
    for d, names in listed.items():
        stray = [n for n in set(os.listdir(d)) - names if ".tmp" in n]
        if stray:
            problems.append("left %s behind" % ", ".join(sorted(stray)))
    if problems:
        failures.append("%s (%s): %s; stderr: %s" % (os.path.basename(file), what, ", ".join(problems), line[:200]))
    shown = line.replace(WORK + "/", "").replace(DATA + "/", "").replace("|", "\\|")
    rows.append("| `%s` | %s | `%s` | %d | %.2f | %.0f | %s |" %
                (os.path.basename(file), what, args[0], proc.returncode, sec, rss_mb, shown[:160]))

if TABLE:
    print("| file | what it is | command | exit | s | peak MB | the one line |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
print("%d hostile files, %d misbehaved" % (len(cases), len(failures)), file=sys.stderr)
for f in failures:
    print("FAIL: " + f, file=sys.stderr)
sys.exit(1 if failures else 0)
