// Lint rules about packages as a whole, across their files: no import cycle between packages, the
// same language options (go_package, java_package, ...) in every file of a package, and (opt-in)
// stable packages importing no unstable ones.
#include <map>
#include <set>

#include "check/lint_support.h"
#include "spoke/schema_image.h"

namespace spoke::check {
namespace {

std::string JoinSorted(const std::set<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ",") + v;
  return out;
}

// One file option that every file of a package must agree on; "" stands for "not set".
struct SameOption {
  const char* rule;
  const char* option;
  int number;  // the FileOptions field
  std::string (*value)(const pb::FileOptions&);
};

const SameOption kSameOptions[] = {
    {"PACKAGE_SAME_CSHARP_NAMESPACE", "csharp_namespace", 37,
     [](const pb::FileOptions& o) { return o.csharp_namespace(); }},
    {"PACKAGE_SAME_GO_PACKAGE", "go_package", 11,
     [](const pb::FileOptions& o) { return o.go_package(); }},
    {"PACKAGE_SAME_JAVA_MULTIPLE_FILES", "java_multiple_files", 10,
     [](const pb::FileOptions& o) {
       return o.has_java_multiple_files() ? std::string(o.java_multiple_files() ? "true" : "false")
                                          : std::string();
     }},
    {"PACKAGE_SAME_JAVA_PACKAGE", "java_package", 1,
     [](const pb::FileOptions& o) { return o.java_package(); }},
    {"PACKAGE_SAME_PHP_NAMESPACE", "php_namespace", 41,
     [](const pb::FileOptions& o) { return o.php_namespace(); }},
    {"PACKAGE_SAME_RUBY_PACKAGE", "ruby_package", 45,
     [](const pb::FileOptions& o) { return o.ruby_package(); }},
    {"PACKAGE_SAME_SWIFT_PREFIX", "swift_prefix", 39,
     [](const pb::FileOptions& o) { return o.swift_prefix(); }},
};

// Each file of a package with more than one value (or a value and none) is reported, at its
// option line, or at the top of the file when it does not set the option.
class SameOptionCheck : public LintCheck {
 public:
  explicit SameOptionCheck(const SameOption& option) : option_(option) {}
  void CheckFile(const pb::FileDescriptor& file, LintReport*) override {
    if (file.package().empty()) return;
    files_[file.package()].push_back(&file);
  }
  void Finish(LintReport* report) override {
    for (const auto& [package, files] : files_) {
      std::set<std::string> values;
      for (const auto* file : files) values.insert(option_.value(file->options()));
      if (values.size() < 2) continue;
      bool unset = values.erase("") > 0;
      std::string message =
          "Files in package " + Quoted(package) +
          (unset ? " have both values " + Quoted(JoinSorted(values)) + " and no value"
                 : " have multiple values " + Quoted(JoinSorted(values))) +
          " for option " + Quoted(option_.option) + " and all values must be equal.";
      for (const auto* file : files) report->AddFileOption(*file, option_.number, message);
    }
  }

 private:
  const SameOption& option_;
  std::map<std::string, std::vector<const pb::FileDescriptor*>> files_;
};

// The import statements of one package's files that name a file of another package.
struct PackageImport {
  const pb::FileDescriptor* file;
  int dependency_index;
};

// The package graph is the whole module's, even with --path (buf follows a cycle through files
// outside the path too); only the imports of files the run walks are reported.
class ImportCycleCheck : public LintCheck {
 public:
  explicit ImportCycleCheck(const SchemaImage& image) {
    for (const auto* file : image.files()) {
      if (file->package().empty()) continue;
      auto& imports = graph_[file->package()];
      for (int i = 0; i < file->dependency_count(); ++i) {
        const std::string& imported = file->dependency(i)->package();
        if (imported.empty() || imported == file->package()) continue;
        imports[imported].push_back({file, i});
      }
    }
  }
  void CheckFile(const pb::FileDescriptor& file, LintReport*) override { walked_.insert(&file); }
  // A package in a cycle has every import of the next package on its cycle reported.
  void Finish(LintReport* report) override {
    for (const auto& [package, imports] : graph_) {
      std::vector<std::string> cycle = {package};
      std::set<std::string> explored;
      if (!PathBack(package, &cycle, &explored)) continue;
      std::string text;
      for (const auto& p : cycle) text += (text.empty() ? "" : " -> ") + p;
      for (const auto& import : imports.at(cycle[1])) {
        if (!walked_.count(import.file)) continue;
        report->AddImport(*import.file, import.dependency_index, "Package import cycle: " + text);
      }
    }
  }

 private:
  // Extends `path` (which starts at `start`) depth first, imports in name order, until it comes
  // back to `start`; `explored` holds packages known not to lead back.
  bool PathBack(const std::string& start, std::vector<std::string>* path,
                std::set<std::string>* explored) {
    auto it = graph_.find(path->back());
    if (it == graph_.end()) return false;
    for (const auto& [next, unused] : it->second) {
      path->push_back(next);
      if (next == start) return true;
      if (explored->insert(next).second && PathBack(start, path, explored)) return true;
      path->pop_back();
    }
    return false;
  }

  std::map<std::string, std::map<std::string, std::vector<PackageImport>>> graph_;
  std::set<const pb::FileDescriptor*> walked_;
};

// The last component of a versioned package: "v1" is stable, "v1beta1" or "v2test" unstable.
enum class Stability { kUnversioned, kStable, kUnstable };

Stability StabilityOf(const std::string& package) {
  size_t dot = package.rfind('.');
  std::string last = dot == std::string::npos ? package : package.substr(dot + 1);
  if (!IsVersionComponent(last)) return Stability::kUnversioned;
  return last.find_first_not_of("0123456789", 1) == std::string::npos ? Stability::kStable
                                                                      : Stability::kUnstable;
}

}  // namespace

void AddPackageRules(std::vector<LintRule>* rules) {
  for (const SameOption& option : kSameOptions) {
    rules->push_back(LintRule{option.rule, Basic(),
                              std::string("all files of a package set the same ") + option.option,
                              [&option](const SchemaImage&, const LintOptions&) {
                                return std::make_unique<SameOptionCheck>(option);
                              }});
  }
  rules->push_back(LintRule{"PACKAGE_NO_IMPORT_CYCLE", Minimal(),
                            "packages do not import each other in a cycle",
                            [](const SchemaImage& image, const LintOptions&) {
                              return std::make_unique<ImportCycleCheck>(image);
                            }});
  rules->push_back(HookRule(
      "STABLE_PACKAGE_NO_IMPORT_UNSTABLE", {},
      "files of stable packages (v1) import no unstable ones (v1beta1); opt-in",
      {.file = [](const pb::FileDescriptor& file, LintReport* report) {
        if (StabilityOf(file.package()) != Stability::kStable) return;
        for (int i = 0; i < file.dependency_count(); ++i) {
          const pb::FileDescriptor& imported = *file.dependency(i);
          if (StabilityOf(imported.package()) != Stability::kUnstable) continue;
          report->AddImport(file, i,
                            "This file is in stable package " + Quoted(file.package()) +
                                ", so it should not depend on " + Quoted(imported.name()) +
                                " from unstable package " + Quoted(imported.package()) + ".");
        }
      }}));
}

}  // namespace spoke::check
