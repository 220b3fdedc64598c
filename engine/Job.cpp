#include "Job.h"

#include <algorithm>

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

}  // namespace waft::engine
