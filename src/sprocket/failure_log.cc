// Sprocket's failure log: a small JSON file rewritten whole (through a rename) at each change, so a
// reader or a crash never sees half of it.
#include "sprocket/failure_log.h"

#include <algorithm>
#include <filesystem>

#include "spoke/backoff.h"
#include "spoke/files.h"
#include "spoke/json.h"

namespace spoke {

Result<std::unique_ptr<Sprocket::FailureLog>> Sprocket::FailureLog::Load(const std::string& path) {
  std::unique_ptr<FailureLog> log(new FailureLog(path));
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return log;
  SPOKE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  auto json = Json::Parse(text);
  const std::string fix = "; move it away to start a new one";
  if (!json.ok() || !json->is_object()) return Status::Corruption(path + " is not JSON" + fix);
  if (json->GetString("format") != kSprocketFailuresFormat) {
    return Status::Corruption(path + " is not of format " + std::string(kSprocketFailuresFormat) +
                              fix);
  }
  const Json* list = json->Get("failures");
  if (!list || !list->is_array())
    return Status::Corruption(path + " has no \"failures\" list" + fix);
  for (const Json& entry : list->as_array()) {
    Failure failure;
    failure.module = entry.GetString("module");
    failure.version = entry.GetString("version");
    failure.language = entry.GetString("language");
    failure.key = entry.GetString("key");
    failure.message = entry.GetString("message");
    auto number = [&entry](const char* name) {
      const Json* value = entry.Get(name);
      return value ? value->as_int() : 0;
    };
    failure.attempts = static_cast<int>(number("attempts"));
    failure.first_failed = number("first_failed");
    failure.last_failed = number("last_failed");
    failure.next_attempt = number("next_attempt");
    if (failure.module.empty() || failure.version.empty() || failure.language.empty()) {
      return Status::Corruption(path + " holds a failure without module, version or language" +
                                fix);
    }
    log->failures_[Name(failure.module, failure.version, failure.language)] = std::move(failure);
  }
  return log;
}

const Sprocket::FailureLog::Failure* Sprocket::FailureLog::Find(const std::string& module,
                                                                const std::string& version,
                                                                const std::string& language) const {
  auto it = failures_.find(Name(module, version, language));
  return it == failures_.end() ? nullptr : &it->second;
}

Result<Sprocket::FailureLog::Failure> Sprocket::FailureLog::Record(
    const std::string& module, const std::string& version, const std::string& language,
    const std::string& key, const std::string& message, int64_t now, std::chrono::seconds base) {
  Failure& failure = failures_[Name(module, version, language)];
  if (failure.attempts == 0 || failure.key != key)
    failure = Failure{module, version, language, key, "", 0, now};
  failure.message = message;
  failure.attempts += 1;
  failure.last_failed = now;
  const Backoff backoff{std::max(base, std::chrono::seconds(1)), kSprocketMaxBackoff,
                        std::chrono::seconds(0)};
  failure.next_attempt =
      now +
      std::chrono::duration_cast<std::chrono::seconds>(backoff.Ceiling(failure.attempts)).count();
  SPOKE_RETURN_IF_ERROR(Save());
  return failure;
}

Status Sprocket::FailureLog::Clear(const std::string& module, const std::string& version,
                                   const std::string& language) {
  if (failures_.erase(Name(module, version, language)) == 0) return Status::Ok();
  return Save();
}

int64_t Sprocket::FailureLog::EarliestNextAttempt(const std::vector<std::string>& languages) const {
  int64_t earliest = 0;
  for (const auto& [name, failure] : failures_) {
    if (std::find(languages.begin(), languages.end(), failure.language) == languages.end())
      continue;
    if (earliest == 0 || failure.next_attempt < earliest) earliest = failure.next_attempt;
  }
  return earliest;
}

Status Sprocket::FailureLog::Save() const {
  if (path_.empty()) return Status::Ok();
  Json list = Json::MakeArray();
  for (const auto& [name, failure] : failures_) {
    Json entry = Json::MakeObject();
    entry.Set("module", failure.module);
    entry.Set("version", failure.version);
    entry.Set("language", failure.language);
    entry.Set("key", failure.key);
    entry.Set("message", failure.message);
    entry.Set("attempts", failure.attempts);
    entry.Set("first_failed", failure.first_failed);
    entry.Set("last_failed", failure.last_failed);
    entry.Set("next_attempt", failure.next_attempt);
    list.Push(std::move(entry));
  }
  Json root = Json::MakeObject();
  root.Set("format", kSprocketFailuresFormat);
  root.Set("failures", std::move(list));
  return WriteFileAtomically(path_, root.Dump(2) + "\n");
}

}  // namespace spoke
