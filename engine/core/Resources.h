#pragma once

#include <string>

namespace waft::engine {

// Where the bundled files (the sample clip, attributions) are: $WAFT_RESOURCES_DIR, else share/waft beside
// the running program's install prefix (<prefix>/bin/waft -> <prefix>/share/waft, as the .deb installs
// them), else the source tree's resources/ (a build tree). Any thread.
std::string resourcesDir();
// The video sample (File > Open Sample > Tree; `waft-cli extract --sample`): resourcesDir()/samples/tree.avi.
std::string bundledSample();
// The photo sample every first start opens: samples/meadow.jpg brought to life by samples/meadow-strokes.json.
std::string bundledPhotoSample();
std::string bundledPhotoSampleStrokes();

}  // namespace waft::engine
