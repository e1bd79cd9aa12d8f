#pragma once
// The error convention at module boundaries: an operation that can fail
// returns Status (nothing on success) or Result<T> (a value on success). The
// Error says in one line what failed and where, with the errno when the system
// said why. Exceptions are left to constructors that cannot build their object
// and to bugs; -errno returns, "" or message strings and out-parameters are not
// used across modules.
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace cache_tier {

struct Error {
    std::string message;  // one line: what failed, where, why
    int code = 0;         // the errno where the system said why, else 0
};

// "what: strerror(code)", with the code kept.
inline Error system_error(std::string what, int code = errno) {
    what += ": ";
    what += std::strerror(code);
    return Error{std::move(what), code};
}

class [[nodiscard]] Status {
public:
    Status() = default;  // success
    Status(Error error) : error_(std::move(error)) {}
    bool ok() const { return !error_; }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return *error_; }
    int code() const { return error_ ? error_->code : 0; }

private:
    std::optional<Error> error_;
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : value_(std::move(value)) {}
    Result(Error error) : value_(std::move(error)) {}
    bool ok() const { return value_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(value_); }
    const T& value() const { return std::get<0>(value_); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(value_); }
    int code() const { return ok() ? 0 : error().code; }

private:
    std::variant<T, Error> value_;
};

}  // namespace cache_tier
