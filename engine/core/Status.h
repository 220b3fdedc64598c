#pragma once

#include <string>
#include <utility>
#include <variant>

namespace waft::engine {

enum class StatusCode { Ok, InvalidArgument, IoError, CorruptData, Unsupported, Cancelled, Internal };

// A result of anything that reads files, models or user input: a code and one line a user can act on.
// Cheap to copy; thread-agnostic.
class Status {
public:
    Status() = default;
    static Status ok() { return {}; }
    static Status error(StatusCode code, std::string message) { return Status(code, std::move(message)); }
    static Status invalid(std::string message) { return error(StatusCode::InvalidArgument, std::move(message)); }
    static Status io(std::string message) { return error(StatusCode::IoError, std::move(message)); }
    static Status corrupt(std::string message) { return error(StatusCode::CorruptData, std::move(message)); }
    static Status cancelled() { return error(StatusCode::Cancelled, "cancelled"); }

    bool isOk() const { return m_code == StatusCode::Ok; }
    explicit operator bool() const { return isOk(); }
    StatusCode code() const { return m_code; }
    const std::string& message() const { return m_message; }

    // Prefixes the message with context ("scene.waft: ...") and keeps the code.
    Status withContext(const std::string& context) const {
        return isOk() ? *this : Status(m_code, context + ": " + m_message);
    }

private:
    Status(StatusCode code, std::string message) : m_code(code), m_message(std::move(message)) {}
    StatusCode m_code = StatusCode::Ok;
    std::string m_message;
};

// A value or the Status that explains why there is none.
template <typename T>
class Expected {
public:
    Expected(T value) : m_state(std::move(value)) {}
    Expected(Status status) : m_state(std::move(status)) {}

    bool hasValue() const { return std::holds_alternative<T>(m_state); }
    explicit operator bool() const { return hasValue(); }
    T& value() & { return std::get<T>(m_state); }
    const T& value() const& { return std::get<T>(m_state); }
    T&& value() && { return std::get<T>(std::move(m_state)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    Status status() const { return hasValue() ? Status::ok() : std::get<Status>(m_state); }

private:
    std::variant<T, Status> m_state;
};

}  // namespace waft::engine

// Early return of a failed Status from a function that returns Status or Expected<T>.
#define WAFT_RETURN_IF_ERROR(expr)                   \
    do {                                             \
        ::waft::engine::Status waftStatus_ = (expr); \
        if (!waftStatus_.isOk()) return waftStatus_; \
    } while (0)
