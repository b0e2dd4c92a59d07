// Making a transaction over several refs all-or-nothing across a crash.
//
// libgit2 writes the refs of a transaction one after another (each lock file renamed into place),
// so a process killed between two of them would leave, say, a module's branch moved over a
// version whose tag was never written. Before the first ref is written, the transaction is
// recorded in a journal file (<store>/spoke-journal/j-<random>, synced), flock'ed by its owner
// and removed once every ref is written and synced. A journal whose lock is free belongs to a
// process that died mid-transaction: the next Store::Open completes it (every object its refs
// reach was synced before the journal was written) and removes it.
#ifndef SPOKE_STORE_REF_JOURNAL_H_
#define SPOKE_STORE_REF_JOURNAL_H_

#include <git2.h>

#include <memory>
#include <string>
#include <vector>

#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke {

class RefJournal {
 public:
  // Records `updates` (their refs already locked by the caller's transaction) in a new journal of
  // the repository at `git_dir`, synced before this returns.
  static Result<std::unique_ptr<RefJournal>> Begin(const std::string& git_dir,
                                                   const std::vector<RefUpdate>& updates);
  // Removes the journal unless Keep() was called; releases its lock either way.
  ~RefJournal();
  RefJournal(const RefJournal&) = delete;
  RefJournal& operator=(const RefJournal&) = delete;
  // The transaction failed part way: the journal stays for the next open to complete.
  void Keep() { keep_ = true; }

 private:
  RefJournal(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
  bool keep_ = false;
};

// Completes the transactions of dead processes recorded in `repo`'s journals: every ref still at
// its old value is set to its new one (a ref someone has moved since is left alone), the lock
// files the dead process left on them are removed, and the journal goes. Journals of live
// processes are left alone, and every journal while another writer holds the store's
// RefWriterLock (store_impl.h), which this takes without waiting: they wait for the next open.
// Errors are returned after the other journals were tried.
Status RecoverRefJournals(git_repository* repo);

}  // namespace spoke

#endif  // SPOKE_STORE_REF_JOURNAL_H_
