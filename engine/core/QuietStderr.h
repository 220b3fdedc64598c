#pragma once

namespace waft::engine {

// While alive, the process's stderr (fd 2) goes to /dev/null. For the few libraries that print their own
// complaints about a bad file before returning an error we already turn into one line (libpng's "libpng
// error: ..." through OpenCV's decoder). Scopes nest and may come from any thread; other threads' stderr is
// silenced for that moment too, which is why it wraps single library calls only.
class QuietStderr {
public:
    QuietStderr();
    ~QuietStderr();
    QuietStderr(const QuietStderr&) = delete;
    QuietStderr& operator=(const QuietStderr&) = delete;
};

}  // namespace waft::engine
