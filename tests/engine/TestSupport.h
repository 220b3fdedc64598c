#pragma once

#include <opencv2/core/mat.hpp>
#include <string>

#include "motion/SpectralVolume.h"

namespace waft::test {

// Skips CTest should see. A suite that could not run a test here (no device, no shared data) exits with
// kSkipExitCode instead of 0, and CTest (SKIP_RETURN_CODE) reports it as skipped, not passed. The QtTest suites
// (render, ui) use WAFT_SKIP and WAFT_TEST_MAIN (QtTestSupport.h); the engine's GoogleTest suites use GTEST_SKIP.
constexpr int kSkipExitCode = 77;
void noteSkip();
int skipsNoted();

// Path of a file in the shared real-data folder (WAFT_DATA_DIR environment variable, else the build's).
std::string dataPath(const std::string& relative);
bool dataAvailable(const std::string& relative);

// This process's resident memory (VmRSS) in KiB; -1 where /proc is absent.
long residentKiB();

// A fresh temporary folder for one test function (removed by the OS's tmp cleaning, not by us: failures
// stay inspectable).
std::string tempDir(const std::string& tag);

// A textured 8-bit BGR image: a crop of a real nature photo when the data is there, else smooth noise.
cv::Mat texturedImage(int width, int height);

// A volume with one x-motion band at frequencyHz: amplitude a(p) = amplitudePx * (0.6 + 0.4 sin(...)),
// smooth in space, zero phase; other bands zero. Frequencies are band (j+1) * baseHz.
engine::SpectralVolume sinusoidalVolume(int width, int height, int bands, float baseHz, int activeBand,
                                        float amplitudePx, bool yMotion = false);

}  // namespace waft::test
