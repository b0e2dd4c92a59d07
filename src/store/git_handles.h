// RAII owners for libgit2 objects, and the conversion of libgit2 errors into Status values.
#ifndef SPOKE_STORE_GIT_HANDLES_H_
#define SPOKE_STORE_GIT_HANDLES_H_

#include <git2.h>
#include <git2/sys/odb_backend.h>

#include <memory>
#include <string>

#include "spoke/status.h"

namespace spoke {

template <typename T, void (*Free)(T*)>
struct GitDeleter {
  void operator()(T* p) const {
    if (p) Free(p);
  }
};

template <typename T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitDeleter<T, Free>>;

using RepoPtr = GitPtr<git_repository, git_repository_free>;
using OdbPtr = GitPtr<git_odb, git_odb_free>;
using ObjectPtr = GitPtr<git_object, git_object_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using TagPtr = GitPtr<git_tag, git_tag_free>;
using BlobPtr = GitPtr<git_blob, git_blob_free>;
using RefPtr = GitPtr<git_reference, git_reference_free>;
using RefIterPtr = GitPtr<git_reference_iterator, git_reference_iterator_free>;
using RevwalkPtr = GitPtr<git_revwalk, git_revwalk_free>;
using PackbuilderPtr = GitPtr<git_packbuilder, git_packbuilder_free>;
using TreebuilderPtr = GitPtr<git_treebuilder, git_treebuilder_free>;
using SignaturePtr = GitPtr<git_signature, git_signature_free>;
using IndexerPtr = GitPtr<git_indexer, git_indexer_free>;
using TransactionPtr = GitPtr<git_transaction, git_transaction_free>;
using OdbObjectPtr = GitPtr<git_odb_object, git_odb_object_free>;

// Initializes libgit2 once per process; safe to call from any thread, any number of times.
void EnsureLibgit2();

// A Status for a failed libgit2 call: `what` says which operation, libgit2's last error message
// follows. NotFound for GIT_ENOTFOUND, Conflict for lock/CAS failures, IOError otherwise.
Status GitError(int code, const std::string& what);

std::string OidHex(const git_oid& oid);
// Parses a full 40-hex object id. InvalidArgument for anything else.
Result<git_oid> ParseOid(const std::string& hex);

}  // namespace spoke

#endif  // SPOKE_STORE_GIT_HANDLES_H_
