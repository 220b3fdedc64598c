// waft-cli tokenize: a prompt's CLIP token ids, as Stable Diffusion 1.x's text encoder gets them.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "CliArgs.h"
#include "Commands.h"
#include "ml/sd/ClipTokenizer.h"

namespace waft::app {

namespace {
constexpr const char* kTokenizeUsage =
    "waft-cli tokenize TEXT [--no-pad]\n"
    "  prints the CLIP token ids of TEXT (quote it) as one JSON array: <|startoftext|> (49406), the prompt's\n"
    "  tokens, <|endoftext|> (49407), padded with 49407 to 77 ids, what SD 1.5's text encoder takes. A prompt of\n"
    "  more than 75 tokens is truncated (a warning on stderr). --no-pad leaves out the padding.\n";
}  // namespace

int runTokenize(const std::vector<std::string>& args) {
    CliArgs cli({}, {"--help", "--no-pad"});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kTokenizeUsage);
    if (cli.helpRequested()) return std::fputs(kTokenizeUsage, stdout), 0;
    if (cli.positionals().size() != 1)
        return usageError("need one TEXT (quote a prompt of several words)", kTokenizeUsage);
    auto tokenizer = engine::sd::ClipTokenizer::shared();
    if (!tokenizer) return fail(tokenizer.status());
    const engine::sd::TokenizedPrompt prompt =
        (*tokenizer)->tokenize(cli.positionals()[0], engine::sd::ClipTokenizer::kContextLength, !cli.has("--no-pad"));
    if (prompt.inputCut)
        std::fprintf(stderr, "waft-cli: prompt is longer than %zu bytes, only its first %zu were read\n",
                     engine::sd::ClipTokenizer::kMaxPromptBytes, engine::sd::ClipTokenizer::kMaxPromptBytes);
    if (prompt.truncated)
        std::fprintf(stderr, "waft-cli: prompt is %d tokens, truncated to %d\n", prompt.promptTokens,
                     prompt.promptTokens - prompt.droppedTokens);
    std::printf("%s\n", nlohmann::json(prompt.ids).dump().c_str());
    return 0;
}

}  // namespace waft::app
