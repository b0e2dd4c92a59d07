// A store's settings: multi-valued keys of the repository's git config file, where stock git sees
// them too (`git config --get-all spoke.fetch`). Each call opens the file afresh, so a value
// another process wrote is read at once.
#include "spoke/store.h"
#include "store/store_impl.h"

namespace spoke {

namespace {

using ConfigPtr = GitPtr<git_config, git_config_free>;
using ConfigIterPtr = GitPtr<git_config_iterator, git_config_iterator_free>;

Result<ConfigPtr> OpenConfigFile(const std::string& store_path) {
  EnsureLibgit2();
  const std::string path = (std::filesystem::path(store_path) / "config").string();
  git_config* raw = nullptr;
  int rc = git_config_open_ondisk(&raw, path.c_str());
  if (rc != 0) return GitError(rc, "cannot open " + path);
  return ConfigPtr(raw);
}

}  // namespace

Result<std::vector<std::string>> Store::GetSetting(const std::string& name) const {
  SPOKE_RETURN_IF_ERROR(impl_->RequireDirectory("keep settings"));
  SPOKE_ASSIGN_OR_RETURN(ConfigPtr config, OpenConfigFile(impl_->path));
  git_config_iterator* raw = nullptr;
  int rc = git_config_multivar_iterator_new(&raw, config.get(), name.c_str(), nullptr);
  if (rc != 0) return GitError(rc, "cannot read setting " + name);
  ConfigIterPtr iter(raw);
  std::vector<std::string> values;
  git_config_entry* entry = nullptr;
  while ((rc = git_config_next(&entry, iter.get())) == 0) values.push_back(entry->value);
  if (rc != GIT_ITEROVER) return GitError(rc, "cannot read setting " + name);
  return values;
}

Status Store::SetSetting(const std::string& name, const std::vector<std::string>& values) {
  SPOKE_RETURN_IF_ERROR(impl_->RequireDirectory("keep settings"));
  for (const auto& value : values) {
    if (value.empty())
      return Status::InvalidArgument("setting " + name + " cannot take an empty value");
  }
  SPOKE_ASSIGN_OR_RETURN(ConfigPtr config, OpenConfigFile(impl_->path));
  // Every change below is made to the locked file and written by the commit, so a crash leaves
  // the old values or the new ones, never a mixture.
  git_transaction* raw = nullptr;
  int rc = git_config_lock(&raw, config.get());
  if (rc != 0) return GitError(rc, "cannot lock the config of " + impl_->path);
  TransactionPtr transaction(raw);
  rc = git_config_delete_multivar(config.get(), name.c_str(), ".*");
  if (rc != 0 && rc != GIT_ENOTFOUND) return GitError(rc, "cannot change setting " + name);
  for (const auto& value : values) {
    // "^$" matches no value (none is empty), so each call adds one.
    rc = git_config_set_multivar(config.get(), name.c_str(), "^$", value.c_str());
    if (rc != 0) return GitError(rc, "cannot change setting " + name);
  }
  rc = git_transaction_commit(transaction.get());
  if (rc != 0) return GitError(rc, "cannot write setting " + name);
  return Status::Ok();
}

}  // namespace spoke
