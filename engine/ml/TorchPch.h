#pragma once
// Precompiled header of the engine's torch translation units: parsed once per build.
#include <torch/torch.h>
