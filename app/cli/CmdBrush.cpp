// waft-cli brush: a photo becomes a looping scene from motion arrows, anchors and freeze regions, through
// the same engine jobs as the app's motion brush (LoadImageJob + MotionBrushJob).
#include <cstdio>

#include "CliArgs.h"
#include "Commands.h"
#include "jobs/SceneJobs.h"

namespace waft::app {

namespace {
constexpr const char* kBrushUsage =
    "waft-cli brush PHOTO -o SCENE.waft [--arrow X,Y,DX,DY ...] [--anchor X,Y ...] [--freeze X,Y,W,H ...]\n"
    "       [--strokes STROKES.json] [--loop-sec L] [--bands K] [--radius PX] [--harmonics N] [--seed S]\n"
    "       [--max-size PX]\n"
    "  --arrow    motion arrow: start X,Y and direction/amplitude DX,DY in the photo's own pixels (repeatable)\n"
    "  --anchor   a point that must stay still (repeatable)\n"
    "  --freeze   a rectangle that must not move (repeatable)\n"
    "  --strokes  a stroke file saved by the app (Motion > Save Strokes...); flags add to it\n"
    "  --loop-sec loop length, every band a harmonic of it (default 4)\n"
    "  --bands    frequency bands K (default 3)\n"
    "  --radius   arrow influence radius in pixels (default: 15% of the shorter side)\n"
    "  --harmonics natural frequencies the painted things cycle over, harmonics 1..N of the loop (default 3;\n"
    "             as many as things that must move apart: a pull on one then leaves the others alone)\n"
    "  --seed     seed of the arrows' phases and natural frequencies (default 1)\n"
    "  --max-size long side the photo is loaded at, as the app does (default 1280)";
}  // namespace

int runBrush(const std::vector<std::string>& args) {
    CliArgs cli({"-o", "--arrow", "--anchor", "--freeze", "--strokes", "--loop-sec", "--bands", "--radius", "--seed",
                 "--harmonics", "--max-size"},
                {});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kBrushUsage);
    if (cli.helpRequested()) return std::puts(kBrushUsage), 0;
    if (cli.positionals().size() != 1 || !cli.has("-o")) return usageError("need PHOTO and -o SCENE.waft", kBrushUsage);
    const auto loopSec = cli.real("--loop-sec", 4.0f, 0.1f, 600.0f);
    const auto bands = cli.integer("--bands", 3, 1, 16);
    const auto radius = cli.real("--radius", 0.0f, 0.0f, 16384.0f);
    const auto seed = cli.integer("--seed", 1, 0, 1 << 30);
    const auto harmonics = cli.integer("--harmonics", 3, 1, 16);
    const auto maxSize = cli.integer("--max-size", 1280, 16, engine::kMaxImageSide);
    for (const engine::Status& s :
         {loopSec.status(), bands.status(), radius.status(), seed.status(), harmonics.status(), maxSize.status()})
        if (!s) return fail(s);

    engine::LoadImageJob load(cli.positionals()[0], *maxSize);
    if (auto s = runJobWithProgress(load); !s) return fail(s);
    const cv::Size photo = load.sourceSize();

    // Flags are in the photo's own pixels; a stroke file says which size its coordinates refer to.
    engine::MotionStrokes strokes;
    strokes.width = photo.width;
    strokes.height = photo.height;
    if (cli.has("--strokes")) {
        auto file = engine::loadStrokes(cli.string("--strokes", ""));
        if (!file) return fail(file.status());
        strokes = file->scaledTo(photo.width, photo.height);
    }
    for (const std::string& text : cli.all("--arrow")) {
        auto v = CliArgs::numbers("--arrow", text, 4);
        if (!v) return fail(v.status());
        strokes.arrows.push_back({(*v)[0], (*v)[1], (*v)[2], (*v)[3]});
    }
    for (const std::string& text : cli.all("--anchor")) {
        auto v = CliArgs::numbers("--anchor", text, 2);
        if (!v) return fail(v.status());
        strokes.anchors.push_back({(*v)[0], (*v)[1], 0.0f});
    }
    for (const std::string& text : cli.all("--freeze")) {
        auto v = CliArgs::numbers("--freeze", text, 4);
        if (!v) return fail(v.status());
        if ((*v)[2] < 0 || (*v)[3] < 0)
            return fail(engine::Status::invalid("--freeze needs a positive width and height"));
        strokes.freeze.push_back({(*v)[0], (*v)[1], (*v)[2], (*v)[3]});
    }
    if (strokes.arrows.empty()) return fail(engine::Status::invalid("the motion brush needs at least one --arrow"));
    if (strokes.arrows.size() + strokes.anchors.size() + strokes.freeze.size() > size_t(3 * engine::kMaxStrokes))
        return fail(engine::Status::invalid("too many strokes"));

    engine::MotionBrushParams params;
    params.loopSec = *loopSec;
    params.bands = *bands;
    const cv::Size loaded(load.result()->volume.width, load.result()->volume.height);
    params.radiusPx = *radius * float(loaded.width) / float(photo.width);
    params.seed = unsigned(*seed);
    params.naturalHarmonics = *harmonics;
    engine::MotionBrushJob brush(load.result(), strokes, params);
    if (auto s = runJobWithProgress(brush); !s) return fail(s);
    const std::string out = cli.string("-o", "");
    if (auto s = engine::saveScene(out, *brush.result()); !s) return fail(s);
    std::printf("%s: %dx%d, %d bands, %.2f s loop from %zu arrows, %zu anchors, %zu freeze regions\n", out.c_str(),
                loaded.width, loaded.height, params.bands, double(params.loopSec), strokes.arrows.size(),
                strokes.anchors.size(), strokes.freeze.size());
    return 0;
}

}  // namespace waft::app
