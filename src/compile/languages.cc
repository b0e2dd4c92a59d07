// The language table: which generator serves which language, and how each is identified for the
// artifact cache.
//
// It needs no libprotoc code, only its version macro: the `spoke` front end names cached
// artifacts with it without loading libprotoc.
#include <google/protobuf/stubs/common.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>

#include "spoke/compiler.h"
#include "spoke/digest.h"
#include "spoke/exec_path.h"
#include "spoke/files.h"

namespace spoke {

const std::vector<Language>& Languages() {
  static const std::vector<Language> kLanguages = {
      {"cpp", "", "", "C++ (libprotoc)"},
      {"java", "", "", "Java (libprotoc)"},
      {"kotlin", "", "", "Kotlin (libprotoc; use with java)"},
      {"python", "", "", "Python with .pyi stubs (libprotoc)"},
      {"csharp", "", "", "C# (libprotoc)"},
      {"objc", "", "", "Objective-C (libprotoc)"},
      {"php", "", "", "PHP (libprotoc)"},
      {"ruby", "", "", "Ruby (libprotoc)"},
      {"go", "protoc-gen-go", "protoc-gen-go", "Go messages", true},
      {"go-grpc", "protoc-gen-go-grpc", "protoc-gen-go-grpc", "Go gRPC services", true},
      {"grpc-cpp", "grpc_cpp_plugin", "protobuf-compiler-grpc", "C++ gRPC services"},
      {"grpc-python", "grpc_python_plugin", "protobuf-compiler-grpc", "Python gRPC services"},
      {"grpc-java", "protoc-gen-grpc-java", "protobuf-compiler-grpc-java-plugin",
       "Java gRPC services"},
      {"grpc-csharp", "grpc_csharp_plugin", "protobuf-compiler-grpc", "C# gRPC services"},
      {"grpc-ruby", "grpc_ruby_plugin", "protobuf-compiler-grpc", "Ruby gRPC services"},
      {"grpc-php", "grpc_php_plugin", "protobuf-compiler-grpc", "PHP gRPC services"},
      {"grpc-objc", "grpc_objective_c_plugin", "protobuf-compiler-grpc",
       "Objective-C gRPC services"},
  };
  return kLanguages;
}

Result<Language> FindLanguage(const std::string& name) {
  std::string known;
  for (const auto& language : Languages()) {
    if (language.name == name) return language;
    known += (known.empty() ? "" : ", ") + language.name;
  }
  return Status::NotFound("unknown language \"" + name + "\" (known: " + known + ")");
}

Result<std::vector<std::string>> ParseLanguageList(const std::string& list) {
  std::vector<std::string> names;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) return Status::InvalidArgument("empty language in \"" + list + "\"");
    auto language = FindLanguage(item);
    // NotFound from the lookup, but a list naming an unknown language is a bad argument.
    if (!language.ok()) return Status::InvalidArgument(language.status().message());
    bool seen = false;
    for (const auto& n : names) seen = seen || n == item;
    if (!seen) names.push_back(item);
  }
  if (names.empty()) return Status::InvalidArgument("no language given");
  // getline yields no empty item after a trailing comma, so "cpp," needs its own check.
  if (list.back() == ',') return Status::InvalidArgument("empty language in \"" + list + "\"");
  return names;
}

namespace {

// "3.21.12" for 3021012, as libprotobuf's internal::VersionString() spells it.
std::string ProtobufVersionString(int version) {
  char text[32];
  std::snprintf(text, sizeof text, "%d.%d.%d", version / 1000000, version / 1000 % 1000,
                version % 1000);
  return text;
}

}  // namespace

Result<std::string> GeneratorIdentity(const Language& language) {
  if (language.plugin.empty()) return "libprotoc " + ProtobufVersionString(GOOGLE_PROTOBUF_VERSION);
  std::string binary = FindOnPath(language.plugin);
  if (binary.empty()) {
    return Status::Unavailable("the " + language.name + " generator needs " + language.plugin +
                               " on PATH; install it with: apt-get install " +
                               language.debian_package);
  }
  // A plugin binary is megabytes, and one compile asks for its identity several times (the CLI's
  // keys, then the cache's; a server on every request): the hash is kept while the file's stat
  // data (what git's index compares) stays the same, so a replaced plugin is hashed again.
  struct stat st {};
  if (::stat(binary.c_str(), &st) != 0) return Status::IOError("cannot read " + binary);
  const std::string stamp = binary + "\n" + std::to_string(st.st_size) + " " +
                            std::to_string(st.st_ino) + " " + std::to_string(st.st_mtim.tv_sec) +
                            "." + std::to_string(st.st_mtim.tv_nsec);
  static std::mutex mutex;
  static std::map<std::string, std::string> identities;  // stamp -> identity
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = identities.find(stamp); it != identities.end()) return it->second;
  }
  SPOKE_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(binary));
  std::string identity = "plugin " + language.plugin + " sha256:" + Sha256Hex(bytes);
  std::lock_guard<std::mutex> lock(mutex);
  identities[stamp] = identity;
  return identity;
}

}  // namespace spoke
