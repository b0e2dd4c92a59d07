// The artifact cache: lookup with verification, compile-on-miss, storage as snapshot commits under
// refs/artifacts/. The key recipe is artifact_key.cc.
#include "spoke/artifact_cache.h"

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <set>

#include "spoke/artifact_use.h"
#include "spoke/digest.h"
#include "spoke/files.h"
#include "spoke/go_import_path.h"
#include "spoke/json.h"
#include "spoke/refs.h"

namespace spoke {
namespace {

constexpr char kArtifactRecord[] = "artifact.json";
constexpr char kOutputDir[] = "out/";

// artifact.json: what the artifact was compiled from, and its file list.
std::string ArtifactRecord(const std::string& key, const std::string& language,
                           const std::string& generator, const std::string& parameter,
                           const std::string& go_import_prefix, const GeneratedFiles& files) {
  Json record = Json::MakeObject();
  record.Set("format", 1);
  record.Set("key", key);
  record.Set("language", language);
  record.Set("generator", generator);
  record.Set("parameter", parameter);
  if (!go_import_prefix.empty()) record.Set("go_package_prefix", go_import_prefix);
  Json list = Json::MakeArray();
  for (const auto& [path, content] : files) list.Push(path);
  record.Set("files", std::move(list));
  return record.Dump(2) + "\n";
}

// Stores each language's files as its artifact while they are generated: every file goes to the
// language's SnapshotWriter as soon as the generator closes it, so that hashing and compressing
// gigabytes of generated code runs beside the generator rather than after it.
class ArtifactSink : public GeneratedSink {
 public:
  struct Target {
    std::string key, generator, parameter;
    std::string go_import_prefix;  // as hashed in the key: empty for the other languages
    std::unique_ptr<SnapshotWriter> writer;
    std::string stage;  // when set, files are written under it as they come (CachedCompileRequest)
  };
  // `targets`: one per language to compile, each with its own writer.
  ArtifactSink(Store& store, std::map<std::string, Target> targets)
      : store_(store), targets_(std::move(targets)) {}

  bool Take(const std::string& language, const std::string& path,
            const std::vector<std::string_view>& pieces) override {
    Target& target = targets_.at(language);
    // A staged file goes to the writer as a file, straight from the generator's pieces, so the
    // compiler never joins them; a bad path is never written anywhere (Written() keeps it in
    // memory, and Complete() refuses it).
    if (target.stage.empty() || !CheckArtifactPath(path).ok()) return false;
    Status staged = Stage(target.stage, path, pieces);
    if (!staged.ok()) {
      Fail(staged);
      return false;
    }
    target.writer->AddFile(kOutputDir + path, target.stage + "/" + path);
    return true;
  }
  bool Written(const std::string& language, const std::string& path,
               std::string_view content) override {
    targets_.at(language).writer->Add(kOutputDir + path, content);
    return false;
  }
  Status Generated(const std::string& language) override {
    Status settled = targets_.at(language).writer->Settle();
    std::lock_guard<std::mutex> lock(mutex_);
    return error_.ok() ? settled : error_;
  }
  Status Complete(const std::string& language, GeneratedFiles files,
                  const std::set<std::string>& unannounced) override {
    Target& target = targets_.at(language);
    for (const auto& [path, content] : files) SPOKE_RETURN_IF_ERROR(CheckArtifactPath(path));
    for (const auto& path : unannounced) {
      if (target.stage.empty()) {
        target.writer->Add(kOutputDir + path, files.at(path));
        continue;
      }
      // The caller reads every file of a staged artifact from the stage.
      SPOKE_RETURN_IF_ERROR(Stage(target.stage, path, files.at(path)));
      target.writer->AddFile(kOutputDir + path, target.stage + "/" + path);
      std::string().swap(files.at(path));
    }
    const std::string record = ArtifactRecord(target.key, language, target.generator,
                                              target.parameter, target.go_import_prefix, files);
    target.writer->Add(kArtifactRecord, record);
    SPOKE_ASSIGN_OR_RETURN(std::string commit, target.writer->Finish("artifact " + target.key +
                                                                     " (" + language + ")\n"));
    std::string ref = ArtifactRef(target.key);
    Status updated = store_.UpdateRefs({{ref, "", commit}});
    if (!updated.ok()) {
      // Another writer stored the same key first; deterministic output means it is the same commit.
      SPOKE_ASSIGN_OR_RETURN(std::string existing, store_.ResolveRef(ref));
      if (existing.empty()) return updated;
    }
    RecordArtifactUse(store_.path(), target.key);
    std::lock_guard<std::mutex> lock(mutex_);
    artifacts_[language] = Artifact{target.key, language, commit, std::move(files), target.stage};
    return Status::Ok();
  }
  std::map<std::string, Artifact> TakeArtifacts() { return std::move(artifacts_); }

 private:
  Status Stage(const std::string& stage, const std::string& path, std::string_view content) {
    return Stage(stage, path, std::vector<std::string_view>{content});
  }
  // Writes the pieces to <stage>/<path>, creating its directory once.
  Status Stage(const std::string& stage, const std::string& path,
               const std::vector<std::string_view>& pieces) {
    const std::filesystem::path file = std::filesystem::path(stage) / path;
    const std::string parent = file.parent_path().string();
    bool known;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      known = made_dirs_.count(parent) > 0;
    }
    if (!known) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) return Status::IOError("cannot create " + parent + ": " + ec.message());
      std::lock_guard<std::mutex> lock(mutex_);
      made_dirs_.insert(parent);
    }
    return WriteFileInPlace(file.string(), pieces);
  }
  void Fail(const Status& status) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (error_.ok()) error_ = status;
  }

  Store& store_;
  std::map<std::string, Target> targets_;  // not modified during the compile, so read unlocked
  std::mutex mutex_;                       // guards what follows
  std::map<std::string, Artifact> artifacts_;
  std::set<std::string> made_dirs_;
  Status error_ = Status::Ok();
};

}  // namespace

Result<std::optional<Artifact>> LookupArtifact(const Store& store, const std::string& key) {
  SPOKE_ASSIGN_OR_RETURN(std::string commit, store.ResolveRef(ArtifactRef(key)));
  if (commit.empty()) return std::optional<Artifact>();
  auto snapshot = store.ReadSnapshot(commit);
  if (!snapshot.ok()) return std::optional<Artifact>();
  auto record_it = snapshot->find(kArtifactRecord);
  if (record_it == snapshot->end()) return std::optional<Artifact>();
  auto record = Json::Parse(record_it->second);
  if (!record.ok() || record->GetString("key") != key) return std::optional<Artifact>();
  Artifact artifact{key, record->GetString("language"), commit, {}, {}};
  const std::string out_dir = kOutputDir;
  for (auto& [path, content] : *snapshot) {
    if (path.rfind(out_dir, 0) != 0) continue;
    // The snapshot may come from a registry: its paths are written under the user's -out.
    if (!CheckArtifactPath(path.substr(out_dir.size())).ok()) return std::optional<Artifact>();
    artifact.files.emplace(path.substr(out_dir.size()), std::move(content));
  }
  if (const Json* list = record->Get("files");
      !list || list->as_array().size() != artifact.files.size()) {
    return std::optional<Artifact>();
  }
  RecordArtifactUse(store.path(), key);
  return std::optional<Artifact>(std::move(artifact));
}

Result<CachedCompileRequest> RequestForVersion(
    const Store& store, const VersionInfo& version, const std::vector<std::string>& languages,
    const std::map<std::string, std::string>& parameters) {
  CachedCompileRequest request;
  request.languages = languages;
  request.parameters = parameters;
  request.go_import_prefix = DefaultGoImportPrefix(version.module);
  SPOKE_ASSIGN_OR_RETURN(request.sources, store.ListFileIds(version));
  for (const auto& [path, id] : request.sources) request.targets.push_back(path);
  std::map<std::string, std::string> owner;  // path -> module@version that provides it
  for (const auto& [path, id] : request.sources)
    owner[path] = version.module + "@" + version.version;
  std::vector<DependencyPin> pending = version.manifest.dependencies;
  std::set<std::string> visited;
  while (!pending.empty()) {
    DependencyPin pin = pending.back();
    pending.pop_back();
    std::string name = pin.module + "@" + pin.version;
    if (!visited.insert(name + " " + pin.mount).second) continue;
    SPOKE_ASSIGN_OR_RETURN(VersionInfo dep, store.GetVersion(pin.module, pin.version));
    SPOKE_ASSIGN_OR_RETURN(auto ids, store.ListFileIds(dep));
    for (const auto& [own_path, id] : ids) {
      const std::string path = pin.Mounted(own_path);  // where the dependent imports it
      auto [it, inserted] = owner.emplace(path, name);
      if (!inserted && request.sources[path] != id) {
        return Status::InvalidArgument("file " + path + " is provided by both " + it->second +
                                       " and " + name);
      }
      request.sources[path] = id;
    }
    for (const auto& next : dep.manifest.dependencies) pending.push_back(next);
  }
  return request;
}

void IncludeImports(CachedCompileRequest* request) {
  request->targets.clear();
  for (const auto& [path, id] : request->sources) request->targets.push_back(path);
}

Result<std::map<std::string, Artifact>> CompileWithCache(Store& store,
                                                         const CachedCompileRequest& request,
                                                         CompileStats* stats) {
  SPOKE_ASSIGN_OR_RETURN(auto keys, ArtifactKeysFor(request));
  std::map<std::string, Artifact> artifacts;
  CompileRequest misses;
  misses.sources = request.sources;
  misses.targets = request.targets;
  misses.parameters = request.parameters;
  misses.go_import_prefix = request.go_import_prefix;
  misses.load =
      request.load ? request.load : [&store](const std::string& id) { return store.ReadBlob(id); };
  for (const auto& name : request.languages) {
    SPOKE_ASSIGN_OR_RETURN(auto cached, LookupArtifact(store, keys[name].hex));
    if (cached) {
      if (stats) stats->hits.push_back(keys[name].hex);
      artifacts[name] = std::move(*cached);
    } else {
      if (stats) stats->misses.push_back(keys[name].hex);
      misses.languages.push_back(name);
    }
  }
  if (misses.languages.empty()) return artifacts;
  if (stats) stats->generator_runs += static_cast<int>(misses.languages.size());
  std::map<std::string, ArtifactSink::Target> targets;
  for (const auto& name : misses.languages) {
    SPOKE_ASSIGN_OR_RETURN(Language language, FindLanguage(name));
    ArtifactSink::Target& target = targets[name];
    target.key = keys.at(name).hex;
    SPOKE_ASSIGN_OR_RETURN(target.generator, GeneratorIdentity(language));
    auto param = request.parameters.find(name);
    target.parameter = param == request.parameters.end() ? "" : param->second;
    if (language.takes_go_import_paths) target.go_import_prefix = request.go_import_prefix;
    SPOKE_ASSIGN_OR_RETURN(target.writer, store.StartSnapshot());
    if (!request.stage_dir.empty())
      target.stage = (std::filesystem::path(request.stage_dir) / name).string();
  }
  ArtifactSink sink(store, std::move(targets));
  SPOKE_RETURN_IF_ERROR(CompileEach(misses, sink));
  for (auto& [name, artifact] : sink.TakeArtifacts()) artifacts[name] = std::move(artifact);
  return artifacts;
}

}  // namespace spoke
