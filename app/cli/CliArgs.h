#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/Status.h"

namespace waft::app {

// A tiny, strict argument parser: positionals, `--name value` options and `--flag` switches, each command
// declaring which it knows. Unknown options and missing values are errors with one line.
class CliArgs {
public:
    CliArgs(std::set<std::string> valueOptions, std::set<std::string> flags)
        : m_valueOptions(std::move(valueOptions)), m_flags(std::move(flags)) {}

    engine::Status parse(const std::vector<std::string>& args);

    const std::vector<std::string>& positionals() const { return m_positionals; }
    bool has(const std::string& name) const { return m_values.count(name) || m_setFlags.count(name); }
    bool helpRequested() const { return m_setFlags.count("--help") > 0; }

    std::string string(const std::string& name, const std::string& fallback) const;
    engine::Expected<int> integer(const std::string& name, int fallback, int lo, int hi) const;
    engine::Expected<float> real(const std::string& name, float fallback, float lo, float hi) const;
    // Every value of an option given more than once, in order.
    std::vector<std::string> all(const std::string& name) const;
    // "A,B,C,..." with exactly count finite numbers.
    static engine::Expected<std::vector<float>> numbers(const std::string& name, const std::string& text, size_t count);
    // "A,B" (separator ',') or "AxB" (separator 'x') pairs.
    engine::Expected<std::pair<float, float>> pair(const std::string& name, char separator) const;

private:
    std::set<std::string> m_valueOptions;
    std::set<std::string> m_flags;
    std::vector<std::string> m_positionals;
    std::map<std::string, std::string> m_values;  // the last value of each option
    std::map<std::string, std::vector<std::string>> m_all;
    std::set<std::string> m_setFlags;
};

}  // namespace waft::app
