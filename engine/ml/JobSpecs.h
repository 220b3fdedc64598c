#pragma once

#include <memory>

#include "core/Job.h"

namespace waft::engine {

// The job factory for saved specs (core/JobJournal.h): rebuilds a job from its kind and parameters, read as
// untrusted input (types, ranges, paths as text). Knows every resumable job of the engine: "train-vae",
// "train-prior". An unknown kind or a bad field is one line.
Expected<std::unique_ptr<Job>> jobFromSpec(const JobSpec& spec);

}  // namespace waft::engine
