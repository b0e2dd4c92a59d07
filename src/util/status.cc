// Names and formatting for Status codes.
#include "spoke/status.h"

namespace spoke {
namespace {
struct CodeNameEntry {
  Status::Code code;
  const char* name;
};
constexpr CodeNameEntry kCodeNames[] = {
    {Status::Code::kOk, "ok"},
    {Status::Code::kInvalidArgument, "invalid_argument"},
    {Status::Code::kNotFound, "not_found"},
    {Status::Code::kAlreadyExists, "already_exists"},
    {Status::Code::kConflict, "conflict"},
    {Status::Code::kFailedPrecondition, "failed_precondition"},
    {Status::Code::kCorruption, "corruption"},
    {Status::Code::kTooLarge, "too_large"},
    {Status::Code::kUnavailable, "unavailable"},
    {Status::Code::kPermissionDenied, "permission_denied"},
    {Status::Code::kIOError, "io_error"},
    {Status::Code::kInternal, "internal"},
};
}  // namespace

const char* Status::CodeName() const {
  for (const auto& entry : kCodeNames) {
    if (entry.code == code_) return entry.name;
  }
  return "internal";
}

Status::Code Status::CodeFromName(const std::string& name) {
  for (const auto& entry : kCodeNames) {
    if (name == entry.name) return entry.code;
  }
  return Code::kInternal;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(CodeName()) + ": " + message_;
}

Status Status::WithContext(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_);
}

}  // namespace spoke
