// SchemaImage::Build: one libprotoc Importer over the sources, every target imported, every error
// kept (not only the first), and libprotobuf's unused-import warnings recorded for lint.
#include "spoke/schema_image.h"

#include <google/protobuf/compiler/importer.h>

#include <algorithm>

#include "compile/source_tree.h"

namespace spoke {
namespace {

namespace pb = google::protobuf;

// Errors as "file:line:col: message" (the same shape as the compiler's), and the warnings that
// name unused imports.
class CheckErrorCollector : public pb::compiler::MultiFileErrorCollector {
 public:
  void AddError(const std::string& filename, int line, int column,
                const std::string& message) override {
    errors_.AddError(filename, line, column, message);
  }
  void AddWarning(const std::string& filename, int line, int column,
                  const std::string& message) override {
    // libprotobuf words it "Import <path> is unused."
    static const std::string kPrefix = "Import ", kSuffix = " is unused.";
    if (message.size() <= kPrefix.size() + kSuffix.size() ||
        message.compare(0, kPrefix.size(), kPrefix) != 0 ||
        message.compare(message.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
      return;
    }
    std::string import =
        message.substr(kPrefix.size(), message.size() - kPrefix.size() - kSuffix.size());
    unused_[filename].push_back({import, line + 1, column + 1});
  }
  const ErrorList& errors() const { return errors_; }
  std::map<std::string, std::vector<UnusedImport>>& unused() { return unused_; }

 private:
  ErrorList errors_;
  std::map<std::string, std::vector<UnusedImport>> unused_;
};

}  // namespace

struct SchemaImage::Impl {
  std::map<std::string, std::string> sources;  // the tree below refers to it
  std::unique_ptr<LoaderSourceTree> tree;
  CheckErrorCollector collector;
  std::unique_ptr<pb::compiler::Importer> importer;
  std::vector<const pb::FileDescriptor*> files;
  std::map<std::string, const pb::FileDescriptor*> by_path;
};

SchemaSources SourcesFromFiles(const FileSet& files,
                               const std::map<std::string, std::string>& imports,
                               SourceLoader load_import) {
  // Own files are named by "self:" + path so they never collide with an import's id.
  SchemaSources out;
  for (const auto& [path, id] : imports) out.sources[path] = id;
  for (const auto& [path, content] : files) {
    out.sources[path] = "self:" + path;
    out.targets.push_back(path);
  }
  out.load = [&files, load_import](const std::string& id) -> Result<std::string> {
    if (id.rfind("self:", 0) == 0) return files.at(id.substr(5));
    if (!load_import) return Status::NotFound("no loader for " + id);
    return load_import(id);
  };
  return out;
}

SchemaImage::SchemaImage(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SchemaImage::~SchemaImage() = default;

Result<std::unique_ptr<SchemaImage>> SchemaImage::Build(const SchemaSources& sources) {
  auto impl = std::make_unique<Impl>();
  impl->sources = sources.sources;
  impl->tree = std::make_unique<LoaderSourceTree>(impl->sources, sources.load);
  impl->importer = std::make_unique<pb::compiler::Importer>(impl->tree.get(), &impl->collector);
  std::vector<std::string> targets = sources.targets;
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  for (const auto& target : targets) {
    if (!impl->sources.count(target))
      return Status::InvalidArgument("target " + target + " is not among the sources");
    // Only the targets' imports are linted; libprotobuf reports them as warnings while linking.
    impl->importer->AddUnusedImportTrackFile(target);
  }
  bool failed = false;
  for (const auto& target : targets) {
    const pb::FileDescriptor* file = impl->importer->Import(target);
    if (file == nullptr) {
      failed = true;
      continue;
    }
    impl->files.push_back(file);
    impl->by_path[target] = file;
  }
  if (failed || !impl->collector.errors().empty()) {
    std::string message = impl->collector.errors().Joined();
    if (message.empty()) message = "the sources do not compile";
    return Status::InvalidArgument(message);
  }
  return std::unique_ptr<SchemaImage>(new SchemaImage(std::move(impl)));
}

const std::vector<const pb::FileDescriptor*>& SchemaImage::files() const { return impl_->files; }

const pb::FileDescriptor* SchemaImage::FindFile(const std::string& path) const {
  auto it = impl_->by_path.find(path);
  return it == impl_->by_path.end() ? nullptr : it->second;
}

bool SchemaImage::IsTarget(const pb::FileDescriptor* file) const {
  return file != nullptr && FindFile(file->name()) == file;
}

const std::vector<UnusedImport>& SchemaImage::UnusedImports(const std::string& path) const {
  static const std::vector<UnusedImport> kNone;
  auto it = impl_->collector.unused().find(path);
  return it == impl_->collector.unused().end() ? kNone : it->second;
}

}  // namespace spoke
