// Breaking-change rules about files and packages: files deleted or moved to another package, file
// options changed, and messages, enums, services and extensions deleted from a file (FILE level)
// or from a package (PACKAGE level). By default only the outermost deleted element is reported:
// deleting a message deletes what it nests; options.report_nested_deletions reports the nested
// ones too, as buf does.
#include <functional>
#include <map>
#include <set>

#include "check/breaking_rules.h"

namespace spoke::check {
namespace {

// An element's name inside its package ("Outer.Inner" for "pkg.v1.Outer.Inner").
std::string RelativeName(const std::string& full_name, const std::string& package) {
  if (package.empty()) return full_name;
  return full_name.substr(package.size() + 1);
}

bool IsMapEntry(const pb::Descriptor* message) { return message->options().map_entry(); }

// What a file or a package declares, by name. Map entries are not listed: they belong to their
// map field, whose changes the field rules report.
struct Declared {
  std::set<std::string> messages, enums, services, extensions;
};

void AddMessage(const pb::Descriptor* message, bool relative, Declared* out) {
  const std::string& package = message->file()->package();
  auto name = [&](const std::string& full) {
    return relative ? RelativeName(full, package) : full;
  };
  out->messages.insert(name(message->full_name()));
  for (int i = 0; i < message->enum_type_count(); ++i)
    out->enums.insert(name(message->enum_type(i)->full_name()));
  for (int i = 0; i < message->extension_count(); ++i) {
    out->extensions.insert(name(message->extension(i)->full_name()));
  }
  for (int i = 0; i < message->nested_type_count(); ++i) {
    if (!IsMapEntry(message->nested_type(i))) AddMessage(message->nested_type(i), relative, out);
  }
}

void AddFile(const pb::FileDescriptor* file, bool relative, Declared* out) {
  const std::string& package = file->package();
  auto name = [&](const std::string& full) {
    return relative ? RelativeName(full, package) : full;
  };
  for (int i = 0; i < file->message_type_count(); ++i)
    AddMessage(file->message_type(i), relative, out);
  for (int i = 0; i < file->enum_type_count(); ++i)
    out->enums.insert(name(file->enum_type(i)->full_name()));
  for (int i = 0; i < file->service_count(); ++i)
    out->services.insert(name(file->service(i)->full_name()));
  for (int i = 0; i < file->extension_count(); ++i)
    out->extensions.insert(name(file->extension(i)->full_name()));
}

// The rules and wording for one scope: a file (names relative to the package) or a package
// (fully-qualified names).
struct DeletionRules {
  Rule message, enum_type, service, extension;  // Rule::kCount: not checked in this scope
  const char* scope;                            // "file" or "package"
  bool relative;
  const SchemaImage* current;  // where deletions are shown (PlaceOfDeleted)
};

// Where a deletion shows in the current version, as buf places it: the innermost message that
// held the deleted element and is still in the same file, else that file's line 1; nowhere when
// the file is gone.
struct Place {
  const pb::FileDescriptor* file = nullptr;
  std::vector<int> path;
};

Place PlaceOfDeleted(const pb::Descriptor* parent, const pb::FileDescriptor* old_file,
                     const SchemaImage& current) {
  Place place;
  place.file = current.FindFile(old_file->name());
  if (place.file == nullptr) return place;
  const std::string& package = place.file->package();
  for (; parent != nullptr; parent = parent->containing_type()) {
    std::string nested = RelativeName(parent->full_name(), old_file->package());
    const pb::Descriptor* kept = place.file->pool()->FindMessageTypeByName(
        package.empty() ? nested : package + "." + nested);
    if (kept != nullptr && kept->file() == place.file) {
      place.path = PathOf(kept);
      break;
    }
  }
  return place;
}

void ReportDeletedMessage(const pb::Descriptor* message, const Declared& now,
                          const DeletionRules& rules, const std::string& where, FindingSink* sink);

void ReportDeletedEnum(const pb::EnumDescriptor* enum_type, const Declared& now,
                       const DeletionRules& rules, const std::string& where, FindingSink* sink) {
  std::string name = rules.relative
                         ? RelativeName(enum_type->full_name(), enum_type->file()->package())
                         : enum_type->full_name();
  if (now.enums.count(name) || rules.enum_type == Rule::kCount) return;
  Place place = PlaceOfDeleted(enum_type->containing_type(), enum_type->file(), *rules.current);
  sink->AddPrevious(rules.enum_type, enum_type->file(), PathOf(enum_type),
                    "Previously present enum \"" + name + "\" was deleted from " + rules.scope +
                        " " + where + ".",
                    place.file, place.path);
}

void ReportDeletedExtension(const pb::FieldDescriptor* extension, const Declared& now,
                            const DeletionRules& rules, const std::string& where,
                            FindingSink* sink) {
  std::string name = rules.relative
                         ? RelativeName(extension->full_name(), extension->file()->package())
                         : extension->full_name();
  if (now.extensions.count(name) || rules.extension == Rule::kCount) return;
  Place place = PlaceOfDeleted(extension->extension_scope(), extension->file(), *rules.current);
  sink->AddPrevious(rules.extension, extension->file(), PathOf(extension),
                    "Previously present extension \"" + name + "\" was deleted from " +
                        rules.scope + " " + where + ".",
                    place.file, place.path);
}

void ReportDeletedMessage(const pb::Descriptor* message, const Declared& now,
                          const DeletionRules& rules, const std::string& where, FindingSink* sink) {
  if (IsMapEntry(message)) return;
  std::string name = rules.relative ? RelativeName(message->full_name(), message->file()->package())
                                    : message->full_name();
  if (!now.messages.count(name)) {
    Place place = PlaceOfDeleted(message->containing_type(), message->file(), *rules.current);
    sink->AddPrevious(rules.message, message->file(), PathOf(message),
                      "Previously present message \"" + name + "\" was deleted from " +
                          rules.scope + " " + where + ".",
                      place.file, place.path);
    if (!sink->ReportNestedDeletions()) return;
  }
  for (int i = 0; i < message->nested_type_count(); ++i) {
    ReportDeletedMessage(message->nested_type(i), now, rules, where, sink);
  }
  for (int i = 0; i < message->enum_type_count(); ++i)
    ReportDeletedEnum(message->enum_type(i), now, rules, where, sink);
  for (int i = 0; i < message->extension_count(); ++i) {
    ReportDeletedExtension(message->extension(i), now, rules, where, sink);
  }
}

void ReportDeletedInFile(const pb::FileDescriptor* before, const Declared& now,
                         const DeletionRules& rules, const std::string& where, FindingSink* sink) {
  for (int i = 0; i < before->message_type_count(); ++i) {
    ReportDeletedMessage(before->message_type(i), now, rules, where, sink);
  }
  for (int i = 0; i < before->enum_type_count(); ++i)
    ReportDeletedEnum(before->enum_type(i), now, rules, where, sink);
  for (int i = 0; i < before->extension_count(); ++i) {
    ReportDeletedExtension(before->extension(i), now, rules, where, sink);
  }
  for (int i = 0; i < before->service_count(); ++i) {
    const pb::ServiceDescriptor* service = before->service(i);
    std::string name = rules.relative ? RelativeName(service->full_name(), before->package())
                                      : service->full_name();
    if (now.services.count(name) || rules.service == Rule::kCount) continue;
    Place place = PlaceOfDeleted(nullptr, before, *rules.current);
    sink->AddPrevious(rules.service, before, PathOf(service),
                      "Previously present service \"" + name + "\" was deleted from " +
                          rules.scope + " " + where + ".",
                      place.file, place.path);
  }
}

// A file option compared between versions: its rule, its name in messages, its field number in
// FileOptions (for the location) and its value as text.
struct FileOptionRule {
  Rule rule;
  const char* name;
  int field_number;
  std::function<std::string(const pb::FileOptions&)> value;
};

std::string Bool(bool b) { return b ? "true" : "false"; }

const std::vector<FileOptionRule>& FileOptionRules() {
  static const std::vector<FileOptionRule> rules = {
      {Rule::kFileSameJavaPackage, "java_package", 1,
       [](const auto& o) { return o.java_package(); }},
      {Rule::kFileSameJavaOuterClassname, "java_outer_classname", 8,
       [](const auto& o) { return o.java_outer_classname(); }},
      {Rule::kFileSameOptimizeFor, "optimize_for", 9,
       [](const auto& o) { return pb::FileOptions::OptimizeMode_Name(o.optimize_for()); }},
      {Rule::kFileSameJavaMultipleFiles, "java_multiple_files", 10,
       [](const auto& o) { return Bool(o.java_multiple_files()); }},
      {Rule::kFileSameGoPackage, "go_package", 11, [](const auto& o) { return o.go_package(); }},
      {Rule::kFileSameCcGenericServices, "cc_generic_services", 16,
       [](const auto& o) { return Bool(o.cc_generic_services()); }},
      {Rule::kFileSameJavaGenericServices, "java_generic_services", 17,
       [](const auto& o) { return Bool(o.java_generic_services()); }},
      {Rule::kFileSamePyGenericServices, "py_generic_services", 18,
       [](const auto& o) { return Bool(o.py_generic_services()); }},
      {Rule::kFileSameCcEnableArenas, "cc_enable_arenas", 31,
       [](const auto& o) { return Bool(o.cc_enable_arenas()); }},
      {Rule::kFileSameObjcClassPrefix, "objc_class_prefix", 36,
       [](const auto& o) { return o.objc_class_prefix(); }},
      {Rule::kFileSameCsharpNamespace, "csharp_namespace", 37,
       [](const auto& o) { return o.csharp_namespace(); }},
      {Rule::kFileSameSwiftPrefix, "swift_prefix", 39,
       [](const auto& o) { return o.swift_prefix(); }},
      {Rule::kFileSamePhpClassPrefix, "php_class_prefix", 40,
       [](const auto& o) { return o.php_class_prefix(); }},
      {Rule::kFileSamePhpNamespace, "php_namespace", 41,
       [](const auto& o) { return o.php_namespace(); }},
      {Rule::kFileSamePhpGenericServices, "php_generic_services", 42,
       [](const auto& o) { return Bool(o.php_generic_services()); }},
      {Rule::kFileSamePhpMetadataNamespace, "php_metadata_namespace", 44,
       [](const auto& o) { return o.php_metadata_namespace(); }},
      {Rule::kFileSameRubyPackage, "ruby_package", 45,
       [](const auto& o) { return o.ruby_package(); }},
  };
  return rules;
}

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

void CompareFilePair(const pb::FileDescriptor* before, const pb::FileDescriptor* now,
                     const SchemaImage& current, FindingSink* sink) {
  if (before->package() != now->package()) {
    sink->Add(Rule::kFileSamePackage, now, {tag::kFilePackage},
              "File " + Quoted(now->name()) + " moved from package " + Quoted(before->package()) +
                  " to package " + Quoted(now->package()) + ".");
  }
  if (before->syntax() != now->syntax()) {
    sink->Add(Rule::kFileSameSyntax, now, {tag::kFileSyntax},
              "File " + Quoted(now->name()) + " changed syntax from " +
                  Quoted(pb::FileDescriptor::SyntaxName(before->syntax())) + " to " +
                  Quoted(pb::FileDescriptor::SyntaxName(now->syntax())) + ".");
  }
  for (const auto& option : FileOptionRules()) {
    if (!sink->Enabled(option.rule)) continue;
    std::string was = option.value(before->options()), is = option.value(now->options());
    if (was == is) continue;
    // At the option when the new version sets it; else, as buf, at the top of the file.
    const pb::Reflection* reflection = now->options().GetReflection();
    const pb::FieldDescriptor* field =
        now->options().GetDescriptor()->FindFieldByNumber(option.field_number);
    const bool set_now = field != nullptr && reflection->HasField(now->options(), field);
    sink->Add(
        option.rule, now,
        set_now ? std::vector<int>{tag::kFileOptions, option.field_number} : std::vector<int>{},
        "File " + Quoted(now->name()) + " changed option " + Quoted(option.name) + " from " +
            Quoted(was) + " to " + Quoted(is) + ".");
  }
  if (sink->AnyEnabled({Rule::kMessageNoDelete, Rule::kEnumNoDelete, Rule::kServiceNoDelete,
                        Rule::kExtensionNoDelete})) {
    Declared declared;
    AddFile(now, /*relative=*/true, &declared);
    DeletionRules rules{Rule::kMessageNoDelete,
                        Rule::kEnumNoDelete,
                        Rule::kServiceNoDelete,
                        Rule::kExtensionNoDelete,
                        "file",
                        true,
                        &current};
    ReportDeletedInFile(before, declared, rules, Quoted(now->name()), sink);
  }
}

}  // namespace

void CompareFilesAndPackages(const SchemaImage& previous, const SchemaImage& current,
                             FindingSink* sink) {
  for (const pb::FileDescriptor* before : previous.files()) {
    const pb::FileDescriptor* now = current.FindFile(before->name());
    if (now == nullptr) {
      sink->AddPrevious(Rule::kFileNoDelete, before, {},
                        "Previously present file " + Quoted(before->name()) + " was deleted.",
                        nullptr, {});
      continue;
    }
    CompareFilePair(before, now, current, sink);
  }

  if (!sink->AnyEnabled({Rule::kPackageNoDelete, Rule::kPackageMessageNoDelete,
                         Rule::kPackageEnumNoDelete, Rule::kPackageServiceNoDelete,
                         Rule::kPackageExtensionNoDelete})) {
    return;
  }
  std::map<std::string, Declared> packages;
  for (const pb::FileDescriptor* now : current.files())
    AddFile(now, /*relative=*/false, &packages[now->package()]);
  std::set<std::string> reported;
  DeletionRules rules{Rule::kPackageMessageNoDelete,
                      Rule::kPackageEnumNoDelete,
                      Rule::kPackageServiceNoDelete,
                      Rule::kPackageExtensionNoDelete,
                      "package",
                      false,
                      &current};
  for (const pb::FileDescriptor* before : previous.files()) {
    auto it = packages.find(before->package());
    if (it == packages.end()) {
      if (reported.insert(before->package()).second) {
        sink->AddPrevious(
            Rule::kPackageNoDelete, before, {tag::kFilePackage},
            "Previously present package " + Quoted(before->package()) + " was deleted.", nullptr,
            {});
      }
      continue;
    }
    ReportDeletedInFile(before, it->second, rules, Quoted(before->package()), sink);
  }
}

}  // namespace spoke::check
