#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/Job.h"
#include "core/Status.h"
#include "ml/prior/PriorConfig.h"
#include "ml/prior/PriorPresets.h"

namespace waft::engine::dist {
class Communicator;
}

namespace waft::app {

// Every command takes its arguments (after the command name) and returns the process exit code:
// 0 success, 1 a failed job or bad input (one line on stderr), 2 a usage error.
int runExtract(const std::vector<std::string>& args);
int runAnimate(const std::vector<std::string>& args);
int runPull(const std::vector<std::string>& args);
int runWeb(const std::vector<std::string>& args);
int runFlow(const std::vector<std::string>& args);
int runInfo(const std::vector<std::string>& args);
int runDataset(const std::vector<std::string>& args);
int runTrainVae(const std::vector<std::string>& args);
int runTrainPrior(const std::vector<std::string>& args);
int runPredict(const std::vector<std::string>& args);
int runBenchPrior(const std::vector<std::string>& args);
int runBenchExport(const std::vector<std::string>& args);
int runBenchCpuRender(const std::vector<std::string>& args);
int runCheckLoop(const std::vector<std::string>& args);
int runBrush(const std::vector<std::string>& args);
int runJobs(const std::vector<std::string>& args);
int runResume(const std::vector<std::string>& args);
int runTokenize(const std::vector<std::string>& args);
int runModels(const std::vector<std::string>& args);
int runGenerate(const std::vector<std::string>& args);
int runInvert(const std::vector<std::string>& args);
int runTrainT2v(const std::vector<std::string>& args);
int runBenchT2v(const std::vector<std::string>& args);
int runBenchVae(const std::vector<std::string>& args);
int runTransfer(const std::vector<std::string>& args);
int runBenchTransfer(const std::vector<std::string>& args);
int runEdit(const std::vector<std::string>& args);
int runBenchEdit(const std::vector<std::string>& args);
int runTrainRenderer(const std::vector<std::string>& args);
int runBenchRenderer(const std::vector<std::string>& args);
int runLaunch(const std::vector<std::string>& args);

// --size WxH (0 for one side keeps the aspect ratio) into width/height; absent leaves them unchanged.
class CliArgs;
engine::Status parseSize(const CliArgs& cli, int& width, int& height);

// The training runs' shared options (--preset --steps --batch --lr --seed --checkpoint-every --resume --size
// --device --precision), and their usage text.
engine::Status parseTraining(const CliArgs& cli, engine::prior::TrainingRunParams& params);
extern const char* const kTrainOptions;

// --device auto|cpu|cuda and --precision auto|fp32|bf16|fp16 (the prior's and SD's commands).
engine::Status parseCompute(const CliArgs& cli, engine::prior::ComputeOptions& compute);

// Runs a job on this thread with a one-line progress readout on stderr (when it is a terminal).
// replacesJournalId: the interrupted entry this run resumes, removed once the run's own entry is written.
// quiet: no readout and no journal entry (the ranks of a distributed run other than rank 0).
engine::Status runJobWithProgress(engine::Job& job, const std::string& replacesJournalId = {}, bool quiet = false);

// A training command in one process, or one rank of a data-parallel run when WORLD_SIZE is set (torchrun, srun,
// `waft-cli launch`): joined here. Rank 0 reports and journals; the other ranks run quiet.
struct TrainingProcess {
    std::shared_ptr<engine::dist::Communicator> communicator;  // null: one process
    bool quiet = false;
    std::string label;  // "rank 1" before a rank's errors; empty in one process
    engine::Status annotate(const engine::Status& s) const { return label.empty() ? s : s.withContext(label); }
};
engine::Expected<TrainingProcess> joinTrainingRun(const engine::prior::ComputeOptions& compute);

// Prints "waft-cli: <message>" and returns 1 (or 2 for usage errors).
int fail(const engine::Status& status);
int usageError(const std::string& message, const char* usage);

}  // namespace waft::app
