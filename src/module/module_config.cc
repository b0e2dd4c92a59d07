// The strict YAML subset of spoke.yaml.
#include "spoke/module_config.h"

#include <filesystem>
#include <sstream>

#include "module/yaml_text.h"
#include "spoke/files.h"
#include "spoke/semver.h"

namespace spoke {
namespace {

using yaml_text::Trim;
using yaml_text::Unquote;

std::string StripComment(const std::string& line) {
  bool quoted = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == quote) quoted = false;
    } else if (c == '"' || c == '\'') {
      quoted = true;
      quote = c;
    } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return line.substr(0, i);
    }
  }
  return line;
}

}  // namespace

Result<ModuleConfig> ParseModuleConfig(const std::string& text, const std::string& filename) {
  ModuleConfig config;
  std::istringstream in(text);
  std::string raw;
  // The key whose list items may follow ("deps", "lint.except") and its indentation.
  std::string list_key;
  size_t list_indent = 0;
  // A top-level key with no value may open a section of indented "key: value" lines; `section` is
  // that key while its children may follow, and `child_indent` their indentation once seen.
  std::string section;
  size_t child_indent = 0;
  int line_number = 0;
  auto error = [&](const std::string& what) {
    return Status::InvalidArgument(filename + ":" + std::to_string(line_number) + ": " + what);
  };
  while (std::getline(in, raw)) {
    ++line_number;
    std::string line = StripComment(raw);
    if (Trim(line).empty()) continue;
    size_t indent = line.find_first_not_of(" \t");
    std::string content = Trim(line);
    if (content[0] == '-') {
      if (list_key.empty()) return error("a list item needs a key above it (e.g. \"deps:\")");
      if (indent < list_indent)
        return error("a list item is indented less than its key \"" + list_key + "\"");
      std::string item = Unquote(Trim(content.substr(1)));
      if (item.empty()) return error("empty list item");
      config.values[list_key].push_back(item);
      // A key holding a list is not a section.
      if (list_key == section) section.clear();
      continue;
    }
    size_t colon = content.find(':');
    if (colon == std::string::npos) return error("expected \"key: value\"");
    std::string key = Trim(content.substr(0, colon)),
                value = Unquote(Trim(content.substr(colon + 1)));
    if (key.empty()) return error("empty key");
    if (indent > 0) {
      if (section.empty()) return error("unexpected indentation");
      if (child_indent == 0) child_indent = indent;
      if (indent != child_indent) {
        return error(indent > child_indent
                         ? "sections nest one level deep only (e.g. \"lint:\" then \"  except:\")"
                         : "inconsistent indentation in section \"" + section + "\"");
      }
      key = section + "." + key;
    } else {
      section.clear();
      child_indent = 0;
    }
    if (config.values.count(key)) return error("key \"" + key + "\" appears twice");
    config.values[key];
    list_key.clear();
    if (value.empty()) {
      list_key = key;
      list_indent = indent;
      if (indent == 0) section = key;
    } else {
      config.values[key].push_back(value);
    }
  }
  for (auto [key, field] :
       {std::pair{"module", &config.module}, std::pair{"version", &config.version}}) {
    auto it = config.values.find(key);
    if (it == config.values.end()) continue;
    if (it->second.size() != 1)
      return Status::InvalidArgument(filename + ": \"" + key + "\" takes one value");
    *field = it->second[0];
  }
  if (!config.version.empty()) {
    if (auto v = SemVer::Parse(config.version); !v.ok()) return v.status().WithContext(filename);
  }
  for (const char* key : {"deps", "dependencies"}) {
    if (auto it = config.values.find(key); it != config.values.end()) {
      config.deps.insert(config.deps.end(), it->second.begin(), it->second.end());
    }
  }
  return config;
}

Result<ModuleConfig> LoadModuleConfig(const std::string& dir) {
  std::filesystem::path path = std::filesystem::path(dir) / kModuleConfigFile;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return ModuleConfig{};
  SPOKE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path.string()));
  return ParseModuleConfig(text, path.string());
}

}  // namespace spoke
