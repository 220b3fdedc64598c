#pragma once

#include <functional>
#include <utility>

namespace waft::render {

// Move-only owner of one Vulkan handle and the call that destroys it. Every Vulkan object Waft creates lives
// in one of these (or in an owner that destroys it in its destructor), so creation and destruction pair up.
template <typename Handle>
class UniqueHandle {
public:
    UniqueHandle() = default;
    UniqueHandle(Handle handle, std::function<void(Handle)> destroy)
        : m_handle(handle), m_destroy(std::move(destroy)) {}
    ~UniqueHandle() { reset(); }
    UniqueHandle(UniqueHandle&& other) noexcept { *this = std::move(other); }
    UniqueHandle& operator=(UniqueHandle&& other) noexcept {
        if (this != &other) {
            reset();
            m_handle = std::exchange(other.m_handle, Handle{});
            m_destroy = std::move(other.m_destroy);
        }
        return *this;
    }
    UniqueHandle(const UniqueHandle&) = delete;
    UniqueHandle& operator=(const UniqueHandle&) = delete;

    Handle get() const { return m_handle; }
    explicit operator bool() const { return m_handle != Handle{}; }
    void reset() {
        if (m_handle != Handle{} && m_destroy) m_destroy(m_handle);
        m_handle = Handle{};
    }

private:
    Handle m_handle{};
    std::function<void(Handle)> m_destroy;
};

}  // namespace waft::render
