// The shared half of Spoke's own ref databases (update_only_refdb.h).
#include "store/update_only_refdb.h"

#include <git2/sys/refs.h>

namespace spoke {
namespace {

struct RefListIterator {
  git_reference_iterator parent;
  RefList refs;
  size_t next = 0;
};

RefListIterator& IteratorOf(git_reference_iterator* iterator) {
  return *reinterpret_cast<RefListIterator*>(iterator);
}

int NextRef(git_reference** out, git_reference_iterator* iterator) {
  RefListIterator& it = IteratorOf(iterator);
  if (it.next == it.refs.size()) return GIT_ITEROVER;
  const auto& [name, target] = it.refs[it.next++];
  *out = git_reference__alloc(name.c_str(), &target, nullptr);
  return *out ? 0 : -1;
}

int NextRefName(const char** out, git_reference_iterator* iterator) {
  RefListIterator& it = IteratorOf(iterator);
  if (it.next == it.refs.size()) return GIT_ITEROVER;
  *out = it.refs[it.next++].first.c_str();
  return 0;
}

void FreeRefIterator(git_reference_iterator* iterator) { delete &IteratorOf(iterator); }

int RefuseRefWrite() {
  git_error_set_str(GIT_ERROR_REFERENCE,
                    "the refs of this store change only through Store::UpdateRefs");
  return -1;
}
int WriteRef(git_refdb_backend*, const git_reference*, int, const git_signature*, const char*,
             const git_oid*, const char*) {
  return RefuseRefWrite();
}
int RenameRef(git_reference**, git_refdb_backend*, const char*, const char*, int,
              const git_signature*, const char*) {
  return RefuseRefWrite();
}
int DeleteRef(git_refdb_backend*, const char*, const git_oid*, const char*) {
  return RefuseRefWrite();
}
int LockRef(void**, git_refdb_backend*, const char*) { return RefuseRefWrite(); }
int UnlockRef(git_refdb_backend*, void*, int, int, const git_reference*, const git_signature*,
              const char*) {
  return RefuseRefWrite();
}

int HasNoLog(git_refdb_backend*, const char*) { return 0; }
int EnsureNoLog(git_refdb_backend*, const char*) { return 0; }
int ReadNoLog(git_reflog**, git_refdb_backend*, const char* name) {
  git_error_set_str(GIT_ERROR_REFERENCE,
                    (std::string("this store keeps no reflog of ") + name).c_str());
  return GIT_ENOTFOUND;
}
int WriteNoLog(git_refdb_backend*, git_reflog*) { return 0; }
int RenameNoLog(git_refdb_backend*, const char*, const char*) { return 0; }
int DeleteNoLog(git_refdb_backend*, const char*) { return 0; }

}  // namespace

git_reference_iterator* NewRefListIterator(RefList refs) {
  auto* it = new RefListIterator{};
  it->parent.next = NextRef;
  it->parent.next_name = NextRefName;
  it->parent.free = FreeRefIterator;
  it->refs = std::move(refs);
  return &it->parent;
}

void RefuseRefWritesAndReflogs(git_refdb_backend& backend) {
  backend.write = WriteRef;
  backend.rename = RenameRef;
  backend.del = DeleteRef;
  backend.lock = LockRef;
  backend.unlock = UnlockRef;
  backend.has_log = HasNoLog;
  backend.ensure_log = EnsureNoLog;
  backend.reflog_read = ReadNoLog;
  backend.reflog_write = WriteNoLog;
  backend.reflog_rename = RenameNoLog;
  backend.reflog_delete = DeleteNoLog;
}

}  // namespace spoke
