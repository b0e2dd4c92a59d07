// Lint rules about files: a package in every file, directories matching packages (one package per
// directory, one directory per package), a version suffix on packages, lower_snake_case file names,
// an explicit syntax, and imports (used, neither public nor weak).
#include <map>
#include <set>

#include "check/lint_support.h"
#include "check/locate.h"
#include "spoke/schema_image.h"

namespace spoke::check {
namespace {

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string JoinQuoted(const std::set<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + Quoted(item);
  return out;
}

// Rules that compare directories and packages across files keep the pairs they saw.
class DirectoryPackageCheck : public LintCheck {
 public:
  explicit DirectoryPackageCheck(bool by_directory) : by_directory_(by_directory) {}
  void CheckFile(const pb::FileDescriptor& file, LintReport*) override {
    std::string dir = DirectoryOf(file.name());
    // Files with no package are one package "" to PACKAGE_SAME_DIRECTORY, as to buf.
    if (by_directory_) {
      groups_[dir].insert(file.package());
    } else {
      groups_[file.package()].insert(dir);
    }
    files_.push_back(&file);
  }
  void Finish(LintReport* report) override {
    for (const auto* file : files_) {
      std::string key = by_directory_ ? DirectoryOf(file->name()) : file->package();
      auto it = groups_.find(key);
      if (it == groups_.end() || it->second.size() < 2) continue;
      if (by_directory_) {
        report->Add(*file, "Multiple packages (" + JoinQuoted(it->second) +
                               ") are used in directory " + Quoted(key.empty() ? "." : key) +
                               "; a directory holds one package.");
      } else {
        std::set<std::string> dirs;
        for (const auto& d : it->second) dirs.insert(d.empty() ? "." : d);
        report->Add(*file, "Package " + Quoted(key) + " is spread over directories " +
                               JoinQuoted(dirs) + "; a package lives in one directory.");
      }
    }
  }

 private:
  bool by_directory_;
  std::map<std::string, std::set<std::string>> groups_;
  std::vector<const pb::FileDescriptor*> files_;
};

class ImportUsedCheck : public LintCheck {
 public:
  explicit ImportUsedCheck(const SchemaImage& image) : image_(image) {}
  void CheckFile(const pb::FileDescriptor& file, LintReport* report) override {
    for (const auto& unused : image_.UnusedImports(file.name())) {
      for (int i = 0; i < file.dependency_count(); ++i) {
        if (file.dependency(i)->name() != unused.import) continue;
        report->AddImport(file, i, "Import " + Quoted(unused.import) + " is unused.");
        break;
      }
    }
  }

 private:
  const SchemaImage& image_;
};

}  // namespace

// "v1", "v2", "v1beta1", "v1alpha", "v1p1beta1", "v2test": a major version, optionally a point
// release (p1), then optionally alpha/beta with a number or a test suffix.
bool IsVersionComponent(const std::string& s) {
  size_t i = 0;
  auto digits = [&](bool nonzero_first) {
    size_t start = i;
    if (i < s.size() && nonzero_first && s[i] == '0') return false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i >= s.size() || s[i++] != 'v' || !digits(false)) return false;
  if (i < s.size() && s[i] == 'p') {
    ++i;
    if (!digits(true)) return false;
  }
  for (const char* stage : {"alpha", "beta"}) {
    std::string word = stage;
    if (s.compare(i, word.size(), word) == 0) {
      i += word.size();
      if (i < s.size()) return digits(true) && i == s.size();
      return true;
    }
  }
  if (s.compare(i, 4, "test") == 0) return true;
  return i == s.size();
}

void AddLayoutRules(std::vector<LintRule>* rules) {
  rules->push_back(HookRule("PACKAGE_DEFINED", Minimal(), "every file declares a package",
                            {.file = [](const pb::FileDescriptor& file, LintReport* report) {
                              if (!file.package().empty()) return;
                              report->Add(file, "File " + Quoted(file.name()) +
                                                    " does not declare a package.");
                            }}));
  rules->push_back(HookRule("PACKAGE_DIRECTORY_MATCH", Minimal(),
                            "files live in the directory their package names (a.b.v1 in a/b/v1/)",
                            {.file = [](const pb::FileDescriptor& file, LintReport* report) {
                              if (file.package().empty()) return;
                              std::string expected = file.package();
                              for (char& c : expected) c = c == '.' ? '/' : c;
                              std::string dir = DirectoryOf(file.name());
                              if (dir == expected) return;
                              report->Add(file,
                                          "Files with package " + Quoted(file.package()) +
                                              " must be in directory " + Quoted(expected) +
                                              " relative to the module root, but this one is in " +
                                              Quoted(dir.empty() ? "." : dir) + ".");
                            }}));
  rules->push_back(LintRule{"DIRECTORY_SAME_PACKAGE", Minimal(),
                            "all files of a directory have the same package",
                            [](const SchemaImage&, const LintOptions&) {
                              return std::make_unique<DirectoryPackageCheck>(true);
                            }});
  rules->push_back(LintRule{"PACKAGE_SAME_DIRECTORY", Minimal(),
                            "all files of a package are in one directory",
                            [](const SchemaImage&, const LintOptions&) {
                              return std::make_unique<DirectoryPackageCheck>(false);
                            }});
  rules->push_back(HookRule(
      "PACKAGE_VERSION_SUFFIX", Standard(),
      "packages end in a version: company.userservice.v1, v1beta1, v2alpha",
      {.file = [](const pb::FileDescriptor& file, LintReport* report) {
        if (file.package().empty()) return;
        size_t dot = file.package().rfind('.');
        std::string last =
            dot == std::string::npos ? file.package() : file.package().substr(dot + 1);
        if (dot != std::string::npos && IsVersionComponent(last)) return;
        report->Add(file, "Package name " + Quoted(file.package()) +
                              " should end in a version, like \"company.userservice.v1\".");
      }}));
  rules->push_back(HookRule(
      "FILE_LOWER_SNAKE_CASE", Standard(), "file names are lower_snake_case.proto",
      {.file = [](const pb::FileDescriptor& file, LintReport* report) {
        std::string base = file.name().substr(file.name().rfind('/') + 1);
        if (base.size() > 6 && base.compare(base.size() - 6, 6, ".proto") == 0) {
          base.resize(base.size() - 6);
        }
        if (IsLowerSnakeCase(base)) return;
        report->Add(file,
                    "File name " + Quoted(file.name()) + " should be lower_snake_case.proto.");
      }}));
  rules->push_back(
      HookRule("SYNTAX_SPECIFIED", Basic(), "files state their syntax",
               {.file = [](const pb::FileDescriptor& file, LintReport* report) {
                 pb::SourceLocation location;
                 if (file.GetSourceLocation({tag::kFileSyntax}, &location)) return;
                 report->Add(file, "File " + Quoted(file.name()) +
                                       " does not state its syntax; add syntax = \"proto3\";.");
               }}));
  rules->push_back(HookRule("IMPORT_NO_PUBLIC", Basic(), "imports are not public",
                            {.file = [](const pb::FileDescriptor& file, LintReport* report) {
                              for (int i = 0; i < file.public_dependency_count(); ++i) {
                                const std::string& name = file.public_dependency(i)->name();
                                for (int j = 0; j < file.dependency_count(); ++j) {
                                  if (file.dependency(j)->name() == name) {
                                    report->AddImport(file, j,
                                                      "Import " + Quoted(name) + " is public.");
                                  }
                                }
                              }
                            }}));
  rules->push_back(HookRule("IMPORT_NO_WEAK", Basic(), "imports are not weak",
                            {.file = [](const pb::FileDescriptor& file, LintReport* report) {
                              for (int i = 0; i < file.weak_dependency_count(); ++i) {
                                const std::string& name = file.weak_dependency(i)->name();
                                for (int j = 0; j < file.dependency_count(); ++j) {
                                  if (file.dependency(j)->name() == name) {
                                    report->AddImport(file, j,
                                                      "Import " + Quoted(name) + " is weak.");
                                  }
                                }
                              }
                            }}));
  rules->push_back(LintRule{"IMPORT_USED", Basic(), "every import is used",
                            [](const SchemaImage& image, const LintOptions&) {
                              return std::make_unique<ImportUsedCheck>(image);
                            }});
}

}  // namespace spoke::check
