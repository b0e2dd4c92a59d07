// Ref journals (ref_journal.h): written before a multi-ref transaction, completed after a crash.
//
// Format (one journal per file, written whole and synced before it gets its j- name):
//   spoke-ref-journal 1
//   ref <name> <old id, or - for none> <new id> <inode of the ref's lock file>
//   ...
//   end <number of ref lines>
// The inode tells the dead process's lock file from one a live process took since.
#include "store/ref_journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>

#include "store/durable.h"
#include "store/git_handles.h"
#include "store/store_impl.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;

constexpr char kJournalDir[] = "spoke-journal";
constexpr auto kUnlockedCreationGrace = std::chrono::minutes(1);

std::string GitDirOf(git_repository* repo) {
  std::string dir = git_repository_path(repo);
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

struct JournalEntry {
  RefUpdate update;
  ino_t lock_inode = 0;
};

// The entries of the journal `text`; false when it is not a whole journal.
bool ParseJournal(const std::string& text, std::vector<JournalEntry>* entries) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != "spoke-ref-journal 1") return false;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string word;
    fields >> word;
    if (word == "end") {
      size_t count = 0;
      fields >> count;
      return count == entries->size();
    }
    JournalEntry entry;
    unsigned long long inode = 0;
    if (word != "ref" || !(fields >> entry.update.name >> entry.update.old_target >>
                           entry.update.new_target >> inode)) {
      return false;
    }
    if (entry.update.old_target == "-") entry.update.old_target.clear();
    entry.lock_inode = static_cast<ino_t>(inode);
    entries->push_back(std::move(entry));
  }
  return false;
}

// Completes one dead journal's transaction. REQUIRES: the store's RefWriterLock held, so that no
// live writer holds a lock file of these refs and none takes one until this transaction is freed.
Status Complete(git_repository* repo, const std::string& git_dir,
                const std::vector<JournalEntry>& entries) {
  std::vector<RefUpdate> todo;
  for (const auto& entry : entries) {
    const std::string lock = git_dir + "/" + entry.update.name + ".lock";
    struct stat st {};
    if (::stat(lock.c_str(), &st) == 0 && st.st_ino == entry.lock_inode) ::unlink(lock.c_str());
    git_oid current;
    int rc = git_reference_name_to_id(&current, repo, entry.update.name.c_str());
    std::string current_hex = rc == 0 ? OidHex(current) : "";
    if (rc != 0 && rc != GIT_ENOTFOUND) return GitError(rc, "cannot read ref " + entry.update.name);
    if (current_hex == entry.update.old_target) todo.push_back(entry.update);
  }
  if (todo.empty()) return Status::Ok();
  git_transaction* raw = nullptr;
  int rc = git_transaction_new(&raw, repo);
  if (rc != 0) return GitError(rc, "cannot start a ref transaction");
  TransactionPtr tx(raw);
  SPOKE_ASSIGN_OR_RETURN(SignaturePtr sig, SpokeSignature());
  for (const auto& update : todo) {
    rc = git_transaction_lock_ref(raw, update.name.c_str());
    if (rc != 0)
      return Status::Conflict("ref " + update.name + " is locked; its interrupted update waits");
    SPOKE_ASSIGN_OR_RETURN(git_oid target, ParseOid(update.new_target));
    rc = git_transaction_set_target(raw, update.name.c_str(), &target, sig.get(),
                                    "spoke: complete an interrupted update");
    if (rc != 0) return GitError(rc, "cannot set " + update.name);
  }
  rc = git_transaction_commit(raw);
  if (rc != 0) return GitError(rc, "cannot complete an interrupted ref update");
  return SyncRefDirectories(repo, todo);
}

}  // namespace

Result<std::unique_ptr<RefJournal>> RefJournal::Begin(const std::string& git_dir,
                                                      const std::vector<RefUpdate>& updates) {
  std::string root = git_dir;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  const fs::path dir = fs::path(root) / kJournalDir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir.string() + ": " + ec.message());
  std::ostringstream text;
  text << "spoke-ref-journal 1\n";
  for (const auto& update : updates) {
    struct stat st {};
    const std::string lock = root + "/" + update.name + ".lock";
    if (::stat(lock.c_str(), &st) != 0)
      return Status::IOError("cannot see the lock " + lock + ": " + std::strerror(errno));
    text << "ref " << update.name << " " << (update.old_target.empty() ? "-" : update.old_target)
         << " " << update.new_target << " " << static_cast<unsigned long long>(st.st_ino) << "\n";
  }
  text << "end " << updates.size() << "\n";
  thread_local std::mt19937_64 rng(std::random_device{}());
  const std::string name = std::to_string(rng());
  const std::string creating = (dir / ("n-" + name)).string();
  const std::string path = (dir / ("j-" + name)).string();
  int fd = ::open(creating.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot create " + creating + ": " + std::strerror(errno));
  auto journal = std::unique_ptr<RefJournal>(new RefJournal(creating, fd));
  if (::flock(fd, LOCK_EX) != 0)
    return Status::IOError("cannot lock " + creating + ": " + std::strerror(errno));
  SPOKE_RETURN_IF_ERROR(WriteAll(fd, text.str(), creating));
  SPOKE_RETURN_IF_ERROR(SyncFd(fd, creating));
  if (::rename(creating.c_str(), path.c_str()) != 0) {
    return Status::IOError("cannot name the ref journal " + path + ": " + std::strerror(errno));
  }
  journal->path_ = path;
  SPOKE_RETURN_IF_ERROR(SyncPath(dir.string()));
  return journal;
}

RefJournal::~RefJournal() {
  if (!keep_) ::unlink(path_.c_str());
  ::close(fd_);
}

Status RecoverRefJournals(git_repository* repo) {
  const std::string git_dir = GitDirOf(repo);
  const fs::path dir = fs::path(git_dir) / kJournalDir;
  Status first = Status::Ok();
  // Taken at the first dead journal and never waited for: a live writer holding it means the
  // journals wait for the next open, as they do when one of their refs is locked.
  RefWriterLock writer(repo);
  bool writer_held = false;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path path = it->path();
    const std::string name = path.filename().string();
    if (name.rfind("n-", 0) == 0) {
      // Never named j-: no ref of it was written. Young ones may be being written right now.
      std::error_code time_ec;
      auto age = fs::file_time_type::clock::now() - fs::last_write_time(path, time_ec);
      if (!time_ec && age > kUnlockedCreationGrace) fs::remove(path, time_ec);
      continue;
    }
    if (name.rfind("j-", 0) != 0) continue;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);  // a live process's transaction
      continue;
    }
    std::string text;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof(buffer))) > 0;)
      text.append(buffer, static_cast<size_t>(n));
    std::vector<JournalEntry> entries;
    Status done = Status::Ok();
    if (ParseJournal(text, &entries)) {
      if (!writer_held) {
        done = writer.TryTake();
        if (!done.ok()) {
          ::close(fd);
          return first.ok() ? done : first;
        }
        writer_held = true;
      }
      done = Complete(repo, git_dir, entries);
    }
    std::error_code remove_ec;
    if (done.ok()) {
      fs::remove(path, remove_ec);
    } else if (first.ok()) {
      first = done;
    }
    ::close(fd);
  }
  return first;
}

}  // namespace spoke
