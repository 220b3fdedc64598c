#include "core/Job.h"

#include <algorithm>
#include <exception>
#include <new>

namespace waft::engine {

void Progress::report(float fraction, const std::string& stage) {
    fraction = std::clamp(fraction, 0.0f, 1.0f);
    m_fraction.store(fraction, std::memory_order_relaxed);
    std::string stageCopy;
    {
        std::lock_guard<std::mutex> lock(m_stageMutex);
        if (!stage.empty()) m_stage = stage;
        stageCopy = m_stage;
    }
    if (m_observer) m_observer(fraction, stageCopy);
}

std::string Progress::stage() const {
    std::lock_guard<std::mutex> lock(m_stageMutex);
    return m_stage;
}

std::string oneLine(const std::string& text, size_t maxChars) {
    std::string out;
    for (char c : text) {
        if (c == '\n' || c == '\r') break;
        if (out.size() >= maxChars) {
            out += "...";
            break;
        }
        out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
    }
    return out;
}

Status runGuarded(Job& job, Progress& progress, const CancelToken& cancel) {
    try {
        return job.run(progress, cancel);
    } catch (const std::bad_alloc&) {
        return Status::error(StatusCode::Internal, job.name() + " failed: out of memory");
    } catch (const std::exception& e) {
        return Status::error(StatusCode::Internal, job.name() + " failed: " + oneLine(e.what()));
    } catch (...) {
        return Status::error(StatusCode::Internal, job.name() + " failed: unknown error");
    }
}

}  // namespace waft::engine
