// The search index: every named element of the registry's .proto files (modules, files, messages,
// enums and their values, services and their methods, fields), found by name or by the comment
// above it, for the registry's GET /search (docs/api.md) and `spoke search`.
//
// What a query matches (case-insensitively, ASCII letters folded): an element whose simple name
// ("email") or full name ("acme.user.v1.User.email") equals, starts with or contains the query
// text, or whose leading comment contains it. Hits are ranked by how the name matched, best first:
//   exact simple name (score 100) > exact full name (90) > simple name prefix (80)
//   > full name prefix (70) > simple name substring (60) > full name substring (50)
//   > leading comment only (20),
// then shorter full names first, then by module name, version (highest first), file and line,
// so the same index always answers the same query the same way.
//
// By default a query sees each module's latest version (its highest release; a module with only
// pre-releases: its highest pre-release); SearchQuery::all_versions sees every version.
//
// The index is derived data, as the import index is (import_index.h): a registry fills it from its
// store at start and adds each version published after that. Each .proto file is parsed on its own
// with libprotoc's parser (no imports, no linking, no descriptor pool kept): a file's elements
// depend only on its content, so a file is parsed once however many versions hold it, and what is
// kept is compact (names and comments in one string per distinct file, 24 bytes per element). A
// version with a file that does not parse is left out whole.
//
// Thread safety: Add() and the queries may run concurrently from any threads.
#ifndef SPOKE_SEARCH_INDEX_H_
#define SPOKE_SEARCH_INDEX_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "spoke/semver.h"
#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke {

enum class SearchKind : uint8_t {
  kModule,
  kFile,
  kMessage,
  kEnum,
  kEnumValue,
  kService,
  kMethod,
  kField
};

// "module", "file", "message", "enum", "enum_value", "service", "method", "field".
const char* SearchKindName(SearchKind kind);
// The kind named so; InvalidArgument listing the names for anything else.
Result<SearchKind> ParseSearchKind(const std::string& name);

inline constexpr size_t kDefaultSearchLimit = 50;
inline constexpr size_t kMaxSearchLimit = 500;

struct SearchQuery {
  std::string text;                // REQUIRES: not empty
  std::optional<SearchKind> kind;  // only elements of this kind; every kind when empty
  bool all_versions = false;       // every version instead of each module's latest
  size_t limit =
      kDefaultSearchLimit;  // how many of the best hits are returned, 1 to kMaxSearchLimit
};

struct SearchHit {
  SearchKind kind = SearchKind::kModule;
  // Messages, enums, services: their full name ("acme.user.v1.User"); fields and methods: the full
  // name of their message or service and theirs ("acme.user.v1.User.email"); enum values: the
  // enum's full name and theirs ("acme.user.v1.Status.ACTIVE"); files: their path; modules: their
  // name.
  std::string name;
  std::string module;
  std::string version;
  std::string file;  // "" for a module
  int line = 0;      // 1-based line of the declaration; 0 for a module, 1 for a file
  // The comment right above the declaration with surrounding whitespace trimmed (a file's: the
  // one above its syntax or package statement; a module's: its description); "" when none.
  std::string comment;
  int score = 0;  // the match's rank in the ladder above (100 .. 20)
};

// The elements of one parsed file content (defined where files are parsed, src/deps/).
struct IndexedFile;

struct SearchResult {
  std::vector<SearchHit> hits;  // the best `limit`, best first
  size_t total = 0;             // every match, before the limit
};

class SearchIndex {
 public:
  SearchIndex();
  ~SearchIndex();

  // Indexes `version`, reading from `store` only the files whose content is not indexed yet.
  // InvalidArgument naming the module, version and "file:line:col: message" when one of its files
  // does not parse: the version is then left out (and not tried again). Adding a version twice
  // changes nothing. REQUIRES: the manifest's version is valid semver (as every stored one is).
  Status Add(const Store& store, const VersionInfo& version);
  // Adds every version in `versions` ("module", "version") read from `store`, on a few threads.
  // A version that cannot be read or parsed is left out and its error appended to `*left_out`
  // when that is not null. Stops early, between versions, once `*stop` (when not null) is true.
  void AddAll(const Store& store, const std::vector<std::pair<std::string, std::string>>& versions,
              std::vector<Status>* left_out, const std::atomic<bool>* stop = nullptr);

  // Whether Add() has seen this version (indexed, or left out because it did not parse).
  bool Knows(const std::string& module, const std::string& version) const;
  // The ranked hits for `query`. REQUIRES: query.text is not empty.
  SearchResult Search(const SearchQuery& query) const;
  // How many versions are indexed.
  size_t version_count() const;

  SearchIndex(const SearchIndex&) = delete;
  SearchIndex& operator=(const SearchIndex&) = delete;

 private:
  struct VersionEntry {
    SemVer version;
    std::string description;
    // (path id, parsed file id) of every file, by path.
    std::vector<std::pair<uint32_t, uint32_t>> files;
  };
  struct ModuleEntry {
    std::vector<VersionEntry> versions;  // lowest precedence first
  };
  struct Candidate;

  mutable std::shared_mutex mutex_;
  std::map<std::string, ModuleEntry> modules_;
  std::set<std::string> left_out_;  // "module@version" of versions that did not parse
  std::vector<std::string> paths_;  // interned file paths
  std::unordered_map<std::string, uint32_t> path_ids_;
  std::vector<std::unique_ptr<IndexedFile>> parsed_;          // one per distinct file content
  std::unordered_map<std::string, uint32_t> parsed_by_blob_;  // blob id -> parsed_ index
  size_t version_count_ = 0;
};

}  // namespace spoke

#endif  // SPOKE_SEARCH_INDEX_H_
