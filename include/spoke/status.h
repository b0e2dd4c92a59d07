// Status and Result<T>: how every fallible call in Spoke reports failure.
//
// Errors are values. A Status is either ok or carries a Code and a message that says what failed,
// on what input, and what to do. Result<T> holds a T or a non-ok Status. Exceptions never cross the
// library's API; callers must look at what they get back.
//
// Both types are [[nodiscard]]: the compiler warns where a returned Status or Result is dropped.
// Where dropping one is right (a best-effort cleanup whose failure changes nothing), the caller
// says so with IgnoreError(status, why), never with a silent cast, so the reason stays in the code.
#ifndef SPOKE_STATUS_H_
#define SPOKE_STATUS_H_

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace spoke {

class [[nodiscard]] Status {
 public:
  // The codes are few on purpose: each maps to exactly one HTTP status (remote/http_errors.cc), so
  // that decision is made in one place. The CLI's exit code is decided in one place too
  // (cli/exit_code.h): 1 for any failure, 2 where a flag or argument is to blame.
  enum class Code {
    kOk = 0,
    kInvalidArgument,     // the caller's input is wrong: bad name, bad version, bad path, bad proto
    kNotFound,            // the thing asked for does not exist
    kAlreadyExists,       // a different thing already holds that name (an immutable version)
    kConflict,            // a compare-and-swap lost: someone else changed it first
    kFailedPrecondition,  // well-formed, but a policy refuses it (a breaking change within a major
                          // version)
    kCorruption,          // data from outside (a pack, a stored object) is malformed or lies
    kTooLarge,            // a body or file is over a configured limit
    kUnavailable,         // a peer (the registry) cannot be reached
    kPermissionDenied,    // missing or wrong token, or a read-only server
    kIOError,             // the local file system or git object store failed
    kInternal,            // a bug: an invariant did not hold
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {Code::kAlreadyExists, std::move(msg)}; }
  static Status Conflict(std::string msg) { return {Code::kConflict, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) {
    return {Code::kFailedPrecondition, std::move(msg)};
  }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status TooLarge(std::string msg) { return {Code::kTooLarge, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status PermissionDenied(std::string msg) {
    return {Code::kPermissionDenied, std::move(msg)};
  }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // A stable lower_snake name of the code ("not_found"), used in JSON errors and --json output.
  const char* CodeName() const;
  // "<code name>: <message>", or "ok".
  std::string ToString() const;
  // A copy whose message is prefixed with `context + ": "`, for adding where an error happened. The
  // code is kept: a caller that passes an inner error up says where it happened this way, not by
  // building a new Status of another code from its message (an IOError re-made as Internal or
  // InvalidArgument would be answered with the wrong HTTP status and mislead whoever reads it). A
  // caller translates a code only where it knows better than the callee what the failure means (a
  // peer's tag that does not parse is Corruption, whatever the parser called it), for the codes
  // that meaning covers, and says why beside the translation.
  Status WithContext(const std::string& context) const;

  // Parses a CodeName() back; unknown names give kInternal.
  static Code CodeFromName(const std::string& name);

  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Holds a T or a non-ok Status. REQUIRES: a Result is never built from Status::Ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design, like absl::StatusOr
  Result(Status status) : status_(std::move(status)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  // REQUIRES: ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

// Drops `status` on purpose. `why` says why its failure changes nothing; it is not printed or
// kept, only read in the code, like a comment the compiler makes the caller write.
inline void IgnoreError(const Status& status, const char* why) {
  (void)status;
  (void)why;
}
template <typename T>
void IgnoreError(const Result<T>& result, const char* why) {
  (void)result;
  (void)why;
}

}  // namespace spoke

// Returns early from the enclosing function when `expr` yields a non-ok Status.
#define SPOKE_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::spoke::Status spoke_status_ = (expr);        \
    if (!spoke_status_.ok()) return spoke_status_; \
  } while (0)

#define SPOKE_CONCAT_INNER_(a, b) a##b
#define SPOKE_CONCAT_(a, b) SPOKE_CONCAT_INNER_(a, b)
// Declares `lhs` from a Result's value, or returns its Status from the enclosing function.
#define SPOKE_ASSIGN_OR_RETURN(lhs, expr)                   \
  auto SPOKE_CONCAT_(spoke_result_, __LINE__) = (expr);     \
  if (!SPOKE_CONCAT_(spoke_result_, __LINE__).ok())         \
    return SPOKE_CONCAT_(spoke_result_, __LINE__).status(); \
  lhs = std::move(SPOKE_CONCAT_(spoke_result_, __LINE__)).value()

#endif  // SPOKE_STATUS_H_
