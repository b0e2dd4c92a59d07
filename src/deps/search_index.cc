// The search index: versions as lists of (path, parsed file), each distinct file content parsed
// once (deps/indexed_file.h), and queries answered by one pass over the versions in scope that
// keeps the best hits in a bounded heap.
#include "spoke/search_index.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string_view>
#include <thread>

#include "deps/indexed_file.h"
#include "util/parallel.h"

namespace spoke {
namespace {

constexpr struct {
  SearchKind kind;
  const char* name;
} kKindNames[] = {
    {SearchKind::kModule, "module"},        {SearchKind::kFile, "file"},
    {SearchKind::kMessage, "message"},      {SearchKind::kEnum, "enum"},
    {SearchKind::kEnumValue, "enum_value"}, {SearchKind::kService, "service"},
    {SearchKind::kMethod, "method"},        {SearchKind::kField, "field"},
};

// The score ladder of search_index.h.
constexpr int kExactSimple = 100, kExactFull = 90, kPrefixSimple = 80, kPrefixFull = 70,
              kInSimple = 60, kInFull = 50, kInComment = 20;

// ASCII case folding by table: std::tolower consults the locale on every call.
struct FoldTable {
  unsigned char to[256];
  constexpr FoldTable() : to() {
    for (int c = 0; c < 256; ++c)
      to[c] = static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
};
constexpr FoldTable kFold;

unsigned char Fold(char c) { return kFold.to[static_cast<unsigned char>(c)]; }

// How one query scores a name and a comment. Substrings are found with Boyer-Moore-Horspool over
// folded bytes: most comments are skipped a query's length at a time.
class Matcher {
 public:
  explicit Matcher(const std::string& text) {
    for (char c : text) folded_.push_back(static_cast<char>(Fold(c)));
    const size_t n = folded_.size();
    for (size_t& s : skip_) s = n;
    for (size_t k = 0; k + 1 < n; ++k) skip_[static_cast<unsigned char>(folded_[k])] = n - 1 - k;
  }

  // The rung of the ladder `name` (whose simple name starts at `simple_at`) and `comment` reach;
  // 0 for no match.
  int Score(std::string_view name, size_t simple_at, std::string_view comment) const {
    std::string_view simple = name.substr(simple_at);
    if (Equal(simple)) return kExactSimple;
    if (Equal(name)) return kExactFull;
    if (StartsWith(simple)) return kPrefixSimple;
    if (StartsWith(name)) return kPrefixFull;
    if (Contains(simple)) return kInSimple;
    if (Contains(name)) return kInFull;
    if (Contains(comment)) return kInComment;
    return 0;
  }

 private:
  bool StartsWith(std::string_view s) const {
    if (s.size() < folded_.size()) return false;
    for (size_t i = 0; i < folded_.size(); ++i) {
      if (Fold(s[i]) != static_cast<unsigned char>(folded_[i])) return false;
    }
    return true;
  }
  bool Equal(std::string_view s) const { return s.size() == folded_.size() && StartsWith(s); }
  bool Contains(std::string_view s) const {
    const size_t n = folded_.size();
    if (s.size() < n) return false;
    for (size_t at = 0; at + n <= s.size();) {
      size_t j = n;
      while (j > 0 && Fold(s[at + j - 1]) == static_cast<unsigned char>(folded_[j - 1])) --j;
      if (j == 0) return true;
      at += skip_[Fold(s[at + n - 1])];
    }
    return false;
  }

  std::string folded_;
  size_t skip_[256];
};

size_t AfterLast(std::string_view name, char separator) {
  size_t at = name.rfind(separator);
  return at == std::string_view::npos ? 0 : at + 1;
}

}  // namespace

const char* SearchKindName(SearchKind kind) {
  for (const auto& entry : kKindNames) {
    if (entry.kind == kind) return entry.name;
  }
  return "unknown";
}

Result<SearchKind> ParseSearchKind(const std::string& name) {
  std::string known;
  for (const auto& entry : kKindNames) {
    if (name == entry.name) return entry.kind;
    known += known.empty() ? "" : ", ";
    known += entry.name;
  }
  return Status::InvalidArgument("unknown element type \"" + name + "\" (one of " + known + ")");
}

// A hit before it is copied out: views into the index, valid while its lock is held.
struct SearchIndex::Candidate {
  int score = 0;
  SearchKind kind = SearchKind::kModule;
  std::string_view name, comment;
  const std::string* module = nullptr;
  const VersionEntry* version = nullptr;
  const std::string* path = nullptr;  // nullptr for a module
  uint32_t line = 0;
};

namespace {

// The ranking of search_index.h: true when `a` comes before `b`.
template <typename C>
bool Better(const C& a, const C& b) {
  if (a.score != b.score) return a.score > b.score;
  if (a.name.size() != b.name.size()) return a.name.size() < b.name.size();
  if (int c = a.module->compare(*b.module); c != 0) return c < 0;
  if (a.version != b.version) {
    int c = a.version->version.Compare(b.version->version);
    if (c != 0) return c > 0;
    return a.version->version.text() > b.version->version.text();
  }
  const std::string empty;
  if (int c = (a.path ? *a.path : empty).compare(b.path ? *b.path : empty); c != 0) return c < 0;
  if (a.line != b.line) return a.line < b.line;
  if (a.name != b.name) return a.name < b.name;
  return a.kind < b.kind;
}

}  // namespace

SearchIndex::SearchIndex() = default;
SearchIndex::~SearchIndex() = default;

bool SearchIndex::Knows(const std::string& module, const std::string& version) const {
  std::shared_lock lock(mutex_);
  if (left_out_.count(module + "@" + version)) return true;
  auto found = modules_.find(module);
  if (found == modules_.end()) return false;
  for (const auto& v : found->second.versions) {
    if (v.version.text() == version) return true;
  }
  return false;
}

Status SearchIndex::Add(const Store& store, const VersionInfo& version) {
  const std::string name = version.module + "@" + version.version;
  SPOKE_ASSIGN_OR_RETURN(SemVer semver, SemVer::Parse(version.version));
  if (Knows(version.module, version.version)) return Status::Ok();
  SPOKE_ASSIGN_OR_RETURN(auto ids, store.ListFileIds(version));
  // Only contents no version indexed before are read and parsed, outside the lock.
  std::map<std::string, std::unique_ptr<IndexedFile>> fresh;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [path, id] : ids) {
      if (!parsed_by_blob_.count(id)) fresh.emplace(id, nullptr);
    }
  }
  for (const auto& [path, id] : ids) {
    auto slot = fresh.find(id);
    if (slot == fresh.end() || slot->second) continue;
    SPOKE_ASSIGN_OR_RETURN(std::string content, store.ReadBlob(id));
    auto parsed = IndexProtoFile(path, content);
    if (!parsed.ok()) {
      std::unique_lock lock(mutex_);
      left_out_.insert(name);
      return parsed.status().WithContext(name);
    }
    slot->second = std::move(*parsed);
  }

  std::unique_lock lock(mutex_);
  ModuleEntry& module = modules_[version.module];
  for (const auto& v : module.versions) {
    if (v.version.text() == version.version) return Status::Ok();  // another thread was first
  }
  VersionEntry entry{std::move(semver), version.manifest.description, {}};
  for (const auto& [path, id] : ids) {
    auto [path_it, new_path] = path_ids_.emplace(path, static_cast<uint32_t>(paths_.size()));
    if (new_path) paths_.push_back(path);
    auto [parsed_it, new_parsed] =
        parsed_by_blob_.emplace(id, static_cast<uint32_t>(parsed_.size()));
    if (new_parsed) parsed_.push_back(std::move(fresh.at(id)));
    entry.files.emplace_back(path_it->second, parsed_it->second);
  }
  auto at = std::upper_bound(
      module.versions.begin(), module.versions.end(), entry,
      [](const VersionEntry& a, const VersionEntry& b) { return a.version < b.version; });
  module.versions.insert(at, std::move(entry));
  ++version_count_;
  return Status::Ok();
}

void SearchIndex::AddAll(const Store& store,
                         const std::vector<std::pair<std::string, std::string>>& versions,
                         std::vector<Status>* left_out, const std::atomic<bool>* stop) {
  // A module's versions share most of their files, so each module goes to one thread whole: its
  // unchanged files are then parsed once, not once per thread.
  std::map<std::string, std::vector<std::string>> by_module;
  for (const auto& [module, version] : versions) by_module[module].push_back(version);
  std::vector<const std::pair<const std::string, std::vector<std::string>>*> work;
  for (const auto& entry : by_module) work.push_back(&entry);
  unsigned parts = std::clamp<unsigned>(std::thread::hardware_concurrency(), 1, 8);
  parts = std::max<unsigned>(1, std::min<size_t>(parts, work.size()));
  std::atomic<size_t> next{0};
  std::vector<std::vector<Status>> failed(parts);
  // Every worker answers ok: a version that fails is collected in `failed`, not returned.
  Status all = RunInParallel(parts, [&](unsigned part) -> Status {
    for (size_t i = next++; i < work.size(); i = next++) {
      const auto& [module, names] = *work[i];
      for (const auto& name : names) {
        if (stop && *stop) return Status::Ok();
        auto version = store.GetVersion(module, name);
        Status s =
            version.ok() ? Add(store, *version) : version.status().WithContext(module + "@" + name);
        if (!s.ok()) failed[part].push_back(std::move(s));
      }
    }
    return Status::Ok();
  });
  IgnoreError(all, "each worker answers ok; failures are in `failed`");
  if (left_out) {
    for (auto& part : failed) left_out->insert(left_out->end(), part.begin(), part.end());
  }
}

size_t SearchIndex::version_count() const {
  std::shared_lock lock(mutex_);
  return version_count_;
}

SearchResult SearchIndex::Search(const SearchQuery& query) const {
  const Matcher matcher(query.text);
  const size_t limit = std::clamp<size_t>(query.limit, 1, kMaxSearchLimit);
  auto wanted = [&query](SearchKind kind) { return !query.kind || *query.kind == kind; };
  auto better = [](const Candidate& a, const Candidate& b) { return Better(a, b); };
  std::vector<Candidate> heap;  // the best `limit` so far; the worst of them on top
  SearchResult result;
  auto offer = [&](Candidate candidate) {
    ++result.total;
    if (heap.size() < limit) {
      heap.push_back(candidate);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (Better(candidate, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = candidate;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  };

  std::shared_lock lock(mutex_);
  for (const auto& [module, entry] : modules_) {
    if (entry.versions.empty()) continue;
    const VersionEntry* first = entry.versions.data();
    const VersionEntry* last = first + entry.versions.size();
    if (!query.all_versions) {
      // The highest release, else the highest pre-release.
      auto release = std::find_if(entry.versions.rbegin(), entry.versions.rend(),
                                  [](const VersionEntry& v) { return !v.version.is_prerelease(); });
      first = release == entry.versions.rend() ? last - 1 : &*release;
      last = first + 1;
    }
    for (const VersionEntry* version = first; version != last; ++version) {
      if (wanted(SearchKind::kModule)) {
        if (int score = matcher.Score(module, AfterLast(module, '/'), version->description)) {
          offer({score, SearchKind::kModule, module, version->description, &module, version,
                 nullptr, 0});
        }
      }
      for (const auto& [path_id, parsed_id] : version->files) {
        const std::string& path = paths_[path_id];
        const IndexedFile& file = *parsed_[parsed_id];
        if (wanted(SearchKind::kFile)) {
          if (int score = matcher.Score(path, AfterLast(path, '/'), file.FileComment())) {
            offer({score, SearchKind::kFile, path, file.FileComment(), &module, version, &path, 1});
          }
        }
        for (const auto& element : file.elements) {
          if (!wanted(element.kind)) continue;
          std::string_view name = file.Name(element);
          if (int score = matcher.Score(name, element.simple_name_at, file.Comment(element))) {
            offer({score, element.kind, name, file.Comment(element), &module, version, &path,
                   element.line});
          }
        }
      }
    }
  }
  std::sort_heap(heap.begin(), heap.end(), better);
  for (const auto& c : heap) {
    SearchHit hit;
    hit.kind = c.kind;
    hit.name = std::string(c.name);
    hit.module = *c.module;
    hit.version = c.version->version.text();
    if (c.path) hit.file = *c.path;
    hit.line = static_cast<int>(c.line);
    hit.comment = std::string(c.comment);
    hit.score = c.score;
    result.hits.push_back(std::move(hit));
  }
  return result;
}

}  // namespace spoke
