#pragma once
// Which pairs of a clip the neural renderer trains or is tested on (torch-free). A pair is a reference frame, the
// flow from it to a later frame (FlowEstimator, `flow` below) and that frame: the renderer must rebuild the later frame
// from the reference and the flow.

#include "analysis/OpticalFlow.h"

namespace waft::engine::render {

struct RendererPairParams {
    double from = 0.0, to = 1.0;  // the part of each clip pairs come from (fractions of its decoded frames)
    int maxLongSide = 320;        // frames are downscaled to it (32..1024), then cut to multiples of 16
    int minGap = 1, maxGap = 4;   // frames between reference and target, cycled
    int pairsPerClip = 48;        // spread evenly over the range
    // Every second pair runs backward in time: the later frame is the reference and the earlier one the target, so
    // what the forward pairs show being covered is uncovered (the app's loops and pulls move both ways).
    bool backward = false;
    // The flow the renderer is given, the nearest these clips have to a true one: DIS at full resolution with
    // variational refinement (FlowMethod::Accurate) unless asked for the extractor's fast DIS.
    FlowMethod flow = FlowMethod::Accurate;
};

}  // namespace waft::engine::render
