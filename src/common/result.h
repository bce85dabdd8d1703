// One error style for all of lepton: functions that can fail return Result<T>; nothing throws
// across module boundaries. An Error carries a human message that already names the fault
// (file:line, field, byte offset, request) — callers add context with `context()`.
#pragma once

#include <fmt/format.h>

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace lepton {

struct Error {
  std::string message;

  // Prefixes the message with where it happened: "loading spin.toml: <message>".
  Error context(std::string_view where) const& { return Error{fmt::format("{}: {}", where, message)}; }
};

template <typename... Args>
Error fail(fmt::format_string<Args...> format, Args&&... args) {
  return Error{fmt::format(format, std::forward<Args>(args)...)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(state_); }
  const T& value() const& { assert(ok()); return std::get<0>(state_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(state_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { assert(failed_); return error_; }
  Error&& error() && { assert(failed_); return std::move(error_); }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace lepton

#define LEPTON_CONCAT_INNER(a, b) a##b
#define LEPTON_CONCAT(a, b) LEPTON_CONCAT_INNER(a, b)

// LEPTON_TRY(auto x, expr): evaluates expr (a Result); on error returns the error from the
// enclosing function, otherwise binds the value to the declaration.
#define LEPTON_TRY(decl, expr)                                        \
  auto LEPTON_CONCAT(lepton_try_, __LINE__) = (expr);                 \
  if (!LEPTON_CONCAT(lepton_try_, __LINE__).ok())                     \
    return std::move(LEPTON_CONCAT(lepton_try_, __LINE__)).error();   \
  decl = std::move(LEPTON_CONCAT(lepton_try_, __LINE__)).value()

// LEPTON_CHECK(expr): for Result<void>; returns the error from the enclosing function.
#define LEPTON_CHECK(expr)                                            \
  do {                                                                \
    auto lepton_check_result = (expr);                                \
    if (!lepton_check_result.ok()) return std::move(lepton_check_result).error(); \
  } while (0)
