#include "core/QuietStderr.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>

namespace waft::engine {

namespace {
std::mutex g_mutex;
int g_depth = 0;
int g_saved = -1;
}  // namespace

QuietStderr::QuietStderr() {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_depth++ > 0) return;
    std::fflush(stderr);
    g_saved = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (g_saved >= 0 && null >= 0) ::dup2(null, STDERR_FILENO);
    if (null >= 0) ::close(null);
}

QuietStderr::~QuietStderr() {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (--g_depth > 0) return;
    std::fflush(stderr);
    if (g_saved >= 0) {
        ::dup2(g_saved, STDERR_FILENO);
        ::close(g_saved);
        g_saved = -1;
    }
}

}  // namespace waft::engine
