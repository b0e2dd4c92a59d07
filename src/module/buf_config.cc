// buf.yaml (v1, v2) and buf.lock mapped onto spoke.yaml's keys. buf's files are YAML of a known
// shape: block maps and lists, flow lists of scalars, comments. A small reader of that shape
// keeps Spoke free of a YAML library; anything beyond it is an error with its line.
#include "spoke/buf_config.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "module/yaml_text.h"
#include "spoke/files.h"

namespace spoke {
namespace {

struct YamlNode {
  enum Kind { kNull, kScalar, kList, kMap } kind = kNull;
  std::string scalar;
  std::vector<YamlNode> items;  // kList
  // kMap, in file order: keys[i] maps to values[i] (a pair would hold YamlNode incomplete).
  std::vector<std::string> keys;
  std::vector<YamlNode> values;
  int line = 0;

  static YamlNode Of(Kind kind, int line, std::string scalar = "") {
    YamlNode node;
    node.kind = kind;
    node.line = line;
    node.scalar = std::move(scalar);
    return node;
  }

  // The entries of a map as (key, value) pairs, to loop over.
  std::vector<std::pair<std::string, const YamlNode*>> Entries() const {
    std::vector<std::pair<std::string, const YamlNode*>> out;
    for (size_t i = 0; i < keys.size(); ++i) out.emplace_back(keys[i], &values[i]);
    return out;
  }

  const YamlNode* Find(const std::string& key) const {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return &values[i];
    }
    return nullptr;
  }
};

struct YamlLine {
  size_t indent;
  std::string content;
  int number;
};

using yaml_text::Trim;
using yaml_text::Unquote;

// A '#' starts a comment outside quotes, at the line's start or after a blank.
std::string StripComment(const std::string& line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return line.substr(0, i);
    }
  }
  return line;
}

// The colon that ends a map key, outside quotes and followed by a blank or the line's end.
size_t KeyColon(const std::string& content) {
  char quote = 0;
  for (size_t i = 0; i < content.size(); ++i) {
    char c = content[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == ':' && (i + 1 == content.size() || content[i + 1] == ' ')) {
      return i;
    }
  }
  return std::string::npos;
}

class YamlReader {
 public:
  YamlReader(const std::string& text, std::string filename) : filename_(std::move(filename)) {
    std::istringstream in(text);
    std::string raw;
    int number = 0;
    while (std::getline(in, raw)) {
      ++number;
      std::string line = StripComment(raw);
      if (Trim(line).empty() || Trim(line) == "---") continue;
      lines_.push_back({line.find_first_not_of(' '), Trim(line), number});
    }
  }

  Result<YamlNode> Read() {
    if (lines_.empty()) return YamlNode::Of(YamlNode::kMap, 1);
    SPOKE_ASSIGN_OR_RETURN(YamlNode root, Block(lines_[0].indent));
    if (next_ < lines_.size()) return Error(lines_[next_], "unexpected indentation");
    return root;
  }

 private:
  Status Error(const YamlLine& line, const std::string& what) const {
    return Status::InvalidArgument(filename_ + ":" + std::to_string(line.number) + ": " + what);
  }

  static bool IsItem(const std::string& content) {
    return content == "-" || content.rfind("- ", 0) == 0;
  }

  // The lines from next_ at exactly `indent`: a list when they start with "- ", else a map.
  Result<YamlNode> Block(size_t indent) {
    YamlNode node;
    node.line = lines_[next_].number;
    node.kind = IsItem(lines_[next_].content) ? YamlNode::kList : YamlNode::kMap;
    while (next_ < lines_.size() && lines_[next_].indent == indent) {
      YamlLine& line = lines_[next_];
      if (IsItem(line.content) != (node.kind == YamlNode::kList))
        return Error(line, "a list item and a key at the same indentation");
      if (node.kind == YamlNode::kList) {
        std::string rest = Trim(line.content.substr(1));
        if (rest.empty()) {
          ++next_;
          SPOKE_ASSIGN_OR_RETURN(YamlNode item, Nested(indent, line.number));
          node.items.push_back(std::move(item));
        } else if (KeyColon(rest) != std::string::npos) {
          // "- key: value" opens a map whose keys sit where "key" does.
          size_t inner = indent + (line.content.size() - rest.size());
          line = {inner, rest, line.number};
          SPOKE_ASSIGN_OR_RETURN(YamlNode item, Block(inner));
          node.items.push_back(std::move(item));
        } else {
          ++next_;
          SPOKE_ASSIGN_OR_RETURN(YamlNode item, Scalar(rest, line));
          node.items.push_back(std::move(item));
        }
        continue;
      }
      size_t colon = KeyColon(line.content);
      if (colon == std::string::npos) return Error(line, "expected \"key: value\"");
      std::string key = Unquote(Trim(line.content.substr(0, colon)));
      std::string value = Trim(line.content.substr(colon + 1));
      if (node.Find(key)) return Error(line, "key \"" + key + "\" appears twice");
      ++next_;
      YamlNode child;
      if (value.empty()) {
        SPOKE_ASSIGN_OR_RETURN(child, Nested(indent, line.number));
      } else {
        SPOKE_ASSIGN_OR_RETURN(child, Scalar(value, line));
      }
      node.keys.push_back(key);
      node.values.push_back(std::move(child));
    }
    if (next_ < lines_.size() && lines_[next_].indent > indent)
      return Error(lines_[next_], "unexpected indentation");
    return node;
  }

  // What follows a "key:" or "-" with nothing after it: a deeper block, a list at the key's own
  // indentation (YAML allows it), or nothing.
  Result<YamlNode> Nested(size_t indent, int line) {
    if (next_ < lines_.size() &&
        (lines_[next_].indent > indent ||
         (lines_[next_].indent == indent && IsItem(lines_[next_].content)))) {
      if (lines_[next_].indent == indent) {
        // Only a map's value may be a list at the same indentation.
        YamlNode list;
        list.kind = YamlNode::kList;
        list.line = line;
        while (next_ < lines_.size() && lines_[next_].indent == indent &&
               IsItem(lines_[next_].content)) {
          std::string rest = Trim(lines_[next_].content.substr(1));
          if (rest.empty() || KeyColon(rest) != std::string::npos)
            return Error(lines_[next_], "write this list indented below its key");
          SPOKE_ASSIGN_OR_RETURN(YamlNode item, Scalar(rest, lines_[next_]));
          list.items.push_back(std::move(item));
          ++next_;
        }
        return list;
      }
      return Block(lines_[next_].indent);
    }
    YamlNode empty;
    empty.line = line;
    return empty;
  }

  // A scalar, or a flow list "[a, b]" of scalars, or an empty flow map "{}".
  Result<YamlNode> Scalar(const std::string& text, const YamlLine& line) {
    YamlNode node;
    node.line = line.number;
    if (text == "{}") {
      node.kind = YamlNode::kMap;
      return node;
    }
    if (text.front() == '[') {
      if (text.back() != ']') return Error(line, "a flow list must end on its line with ']'");
      node.kind = YamlNode::kList;
      std::string inner = Trim(text.substr(1, text.size() - 2));
      std::stringstream items(inner);
      std::string item;
      while (!inner.empty() && std::getline(items, item, ',')) {
        item = Trim(item);
        if (item.empty() || item.front() == '[' || item.front() == '{')
          return Error(line, "flow lists hold plain values only");
        node.items.push_back(YamlNode::Of(YamlNode::kScalar, line.number, Unquote(item)));
      }
      return node;
    }
    if (text.front() == '{' || text.front() == '&' || text.front() == '*' || text.front() == '|' ||
        text.front() == '>') {
      return Error(line, "only plain values, lists and maps are read here");
    }
    node.kind = YamlNode::kScalar;
    node.scalar = Unquote(text);
    return node;
  }

  std::string filename_;
  std::vector<YamlLine> lines_;
  size_t next_ = 0;
};

// Maps one buf file's nodes into spoke.yaml keys, collecting what it cannot map.
class BufMapper {
 public:
  BufMapper(std::string filename, BufConfig* out) : filename_(std::move(filename)), out_(out) {}

  Status Error(const YamlNode& node, const std::string& what) const {
    return Status::InvalidArgument(filename_ + ":" + std::to_string(node.line) + ": " + what);
  }
  void Warn(const YamlNode& node, const std::string& what) {
    out_->warnings.push_back(filename_ + ":" + std::to_string(node.line) + ": " + what);
  }

  Result<std::vector<std::string>> Strings(const YamlNode& node, const std::string& key) {
    std::vector<std::string> out;
    if (node.kind == YamlNode::kNull) return out;
    if (node.kind == YamlNode::kScalar) return std::vector<std::string>{node.scalar};
    if (node.kind != YamlNode::kList) return Error(node, key + " is a list of strings");
    for (const auto& item : node.items) {
      if (item.kind != YamlNode::kScalar) return Error(item, key + " is a list of strings");
      out.push_back(item.scalar);
    }
    return out;
  }

  Result<bool> Bool(const YamlNode& node, const std::string& key) {
    if (node.kind == YamlNode::kScalar && (node.scalar == "true" || node.scalar == "false"))
      return node.scalar == "true";
    return Error(node, key + " is true or false");
  }

  // buf's lint or breaking section into `section`.<key>; `v1` for v1's defaults and names.
  Status Checks(const YamlNode& node, const std::string& section, bool v1) {
    if (node.kind == YamlNode::kNull) return Status::Ok();
    if (node.kind != YamlNode::kMap) return Error(node, section + " is a map");
    bool lint = section == "lint";
    bool comment_ignores_said = false;
    for (const auto& [key, value_at] : node.Entries()) {
      const YamlNode& value = *value_at;
      std::string name = section;
      name += "." + key;
      if (key == "use" || key == "except") {
        SPOKE_ASSIGN_OR_RETURN(std::vector<std::string> ids, Strings(value, name));
        std::vector<std::string> kept;
        for (auto& id : ids) {
          if (lint && id == "DEFAULT") id = "STANDARD";
          if (lint && id == "PROTOVALIDATE") {
            Warn(value, "lint rule PROTOVALIDATE is not one of Spoke's; left out");
            continue;
          }
          kept.push_back(id);
        }
        Put(name, kept);
      } else if (key == "ignore") {
        SPOKE_ASSIGN_OR_RETURN(std::vector<std::string> paths, Strings(value, name));
        Add(name, paths);
      } else if (key == "ignore_only") {
        if (!lint) {
          Warn(value,
               "breaking.ignore_only is not supported by Spoke; use breaking.ignore or "
               "breaking.except");
          continue;
        }
        if (value.kind == YamlNode::kNull) continue;
        if (value.kind != YamlNode::kMap) return Error(value, name + " maps rule IDs to paths");
        for (const auto& [rule, paths_node_at] : value.Entries()) {
          const YamlNode& paths_node = *paths_node_at;
          SPOKE_ASSIGN_OR_RETURN(std::vector<std::string> paths, Strings(paths_node, name));
          for (const auto& path : paths) {
            std::string item = rule;
            item += ' ';
            Add(name, {item + path});
          }
        }
      } else if (key == "disable_builtin" || key == "plugins") {
        bool on = key == "plugins" ? value.kind != YamlNode::kNull &&
                                         !(value.kind == YamlNode::kList && value.items.empty())
                                   : value.kind == YamlNode::kScalar && value.scalar == "true";
        if (on) return Error(value, name + " is not supported by Spoke (buf plugins, builtins)");
      } else if (lint && key == "allow_comment_ignores" && v1) {
        SPOKE_ASSIGN_OR_RETURN(bool allow, Bool(value, name));
        Put("lint.disallow_comment_ignores", {allow ? "false" : "true"});
        comment_ignores_said = true;
      } else if ((lint && !v1 && key == "disallow_comment_ignores") ||
                 (lint && (key == "rpc_allow_same_request_response" ||
                           key == "rpc_allow_google_protobuf_empty_requests" ||
                           key == "rpc_allow_google_protobuf_empty_responses")) ||
                 (!lint && key == "ignore_unstable_packages")) {
        SPOKE_ASSIGN_OR_RETURN(bool on, Bool(value, name));
        Put(name, {on ? "true" : "false"});
      } else if (lint && (key == "enum_zero_value_suffix" || key == "service_suffix")) {
        if (value.kind != YamlNode::kScalar) return Error(value, name + " is a string");
        Put(name, {value.scalar});
      } else {
        return Error(value, "unknown key " + name + " for buf.yaml " + (v1 ? "v1" : "v2"));
      }
    }
    // v1 turns comment ignores off unless allow_comment_ignores says otherwise.
    if (lint && v1 && !comment_ignores_said) Put("lint.disallow_comment_ignores", {"true"});
    return Status::Ok();
  }

  void Put(const std::string& key, const std::vector<std::string>& values) {
    out_->config.values[key] = values;
  }
  void Add(const std::string& key, const std::vector<std::string>& values) {
    auto& list = out_->config.values[key];
    list.insert(list.end(), values.begin(), values.end());
  }

  // Module-level excludes become ignored paths of both checks.
  Status Excludes(const YamlNode& node, const std::string& key) {
    SPOKE_ASSIGN_OR_RETURN(std::vector<std::string> paths, Strings(node, key));
    Add("lint.ignore", paths);
    Add("breaking.ignore", paths);
    return Status::Ok();
  }

  void Deps(const YamlNode& node, const std::string& key) {
    if (node.kind == YamlNode::kNull || (node.kind == YamlNode::kList && node.items.empty()))
      return;
    Warn(node, key +
                   " are buf registry modules; Spoke does not fetch them (it resolves imports "
                   "through its registry and spoke.yaml's deps: module@version)");
  }

 private:
  std::string filename_;
  BufConfig* out_;
};

Status MapV2(const YamlNode& root, BufMapper& map) {
  const YamlNode* lint = root.Find("lint");
  const YamlNode* breaking = root.Find("breaking");
  for (const auto& [key, value_at] : root.Entries()) {
    const YamlNode& value = *value_at;
    if (key == "version" || key == "lint" || key == "breaking") continue;
    if (key == "deps") {
      map.Deps(value, "deps");
    } else if (key == "modules") {
      if (value.kind == YamlNode::kNull) continue;
      if (value.kind != YamlNode::kList) return map.Error(value, "modules is a list");
      if (value.items.size() > 1)
        return map.Error(value,
                         "several modules are not supported by Spoke: check each module "
                         "directory with its own spoke.yaml");
      for (const auto& module : value.items) {
        for (const auto& [mkey, mvalue_at] : module.Entries()) {
          const YamlNode& mvalue = *mvalue_at;
          if (mkey == "path") {
            std::string path = mvalue.scalar;
            while (path.size() > 1 && path.back() == '/') path.pop_back();
            if (path != "." && !path.empty()) {
              return map.Error(mvalue, "module path " + path +
                                           " is not supported by Spoke: the module must be the "
                                           "directory of buf.yaml (path: .)");
            }
          } else if (mkey == "excludes") {
            SPOKE_RETURN_IF_ERROR(map.Excludes(mvalue, "modules.excludes"));
          } else if (mkey == "lint") {
            lint = &mvalue;
          } else if (mkey == "breaking") {
            breaking = &mvalue;
          } else if (mkey == "name") {
            map.Warn(mvalue, "module name " + mvalue.scalar +
                                 " is not used: Spoke's module name comes from spoke.yaml or "
                                 "-module");
          } else {
            return map.Error(mvalue, "modules." + mkey + " is not supported by Spoke");
          }
        }
      }
    } else if (key == "plugins" || key == "policies") {
      if (value.kind == YamlNode::kList && !value.items.empty())
        return map.Error(value, key + " are not supported by Spoke");
    } else {
      return map.Error(value, "unknown key " + key + " for buf.yaml v2");
    }
  }
  if (lint) SPOKE_RETURN_IF_ERROR(map.Checks(*lint, "lint", false));
  if (breaking) SPOKE_RETURN_IF_ERROR(map.Checks(*breaking, "breaking", false));
  return Status::Ok();
}

Status MapV1(const YamlNode& root, BufMapper& map) {
  bool lint_seen = false;
  for (const auto& [key, value_at] : root.Entries()) {
    const YamlNode& value = *value_at;
    if (key == "version") continue;
    if (key == "lint") {
      SPOKE_RETURN_IF_ERROR(map.Checks(value, "lint", true));
      lint_seen = true;
    } else if (key == "breaking") {
      SPOKE_RETURN_IF_ERROR(map.Checks(value, "breaking", true));
    } else if (key == "deps") {
      map.Deps(value, "deps");
    } else if (key == "name") {
      map.Warn(value, "name " + value.scalar +
                          " is not used: Spoke's module name comes from spoke.yaml or -module");
    } else if (key == "build") {
      for (const auto& [bkey, bvalue_at] : value.Entries()) {
        const YamlNode& bvalue = *bvalue_at;
        if (bkey != "excludes") return map.Error(bvalue, "build." + bkey + " is not supported");
        SPOKE_RETURN_IF_ERROR(map.Excludes(bvalue, "build.excludes"));
      }
    } else {
      return map.Error(value, "unknown key " + key + " for buf.yaml v1");
    }
  }
  if (!lint_seen) {
    YamlNode empty;
    empty.kind = YamlNode::kMap;
    SPOKE_RETURN_IF_ERROR(map.Checks(empty, "lint", true));
  }
  return Status::Ok();
}

// Rules v1's categories do not hold: out unless v1's use names them.
void LeaveOutV1Only(ModuleConfig* config) {
  auto& use = config->values["lint.use"];
  auto& except = config->values["lint.except"];
  for (const char* rule : {"PACKAGE_NO_IMPORT_CYCLE", "FIELD_NOT_REQUIRED"}) {
    if (std::find(use.begin(), use.end(), rule) == use.end()) except.push_back(rule);
  }
  if (use.empty()) config->values.erase("lint.use");
}

}  // namespace

Result<BufConfig> ParseBufConfig(const std::string& buf_yaml, const std::string& buf_lock,
                                 const std::string& dir) {
  BufConfig out;
  std::string yaml_name = (std::filesystem::path(dir) / kBufConfigFile).string();
  SPOKE_ASSIGN_OR_RETURN(YamlNode root, YamlReader(buf_yaml, yaml_name).Read());
  if (root.kind != YamlNode::kMap)
    return Status::InvalidArgument(yaml_name + ": expected a map of keys");
  BufMapper map(yaml_name, &out);
  const YamlNode* version = root.Find("version");
  std::string v = version ? version->scalar : "";
  if (v == "v2") {
    SPOKE_RETURN_IF_ERROR(MapV2(root, map));
  } else if (v == "v1") {
    SPOKE_RETURN_IF_ERROR(MapV1(root, map));
    LeaveOutV1Only(&out.config);
  } else {
    return Status::InvalidArgument(yaml_name + ": version " + (v.empty() ? "(none)" : v) +
                                   " is not supported by Spoke (v1 or v2)");
  }
  if (!buf_lock.empty()) {
    std::string lock_name = (std::filesystem::path(dir) / kBufLockFile).string();
    SPOKE_ASSIGN_OR_RETURN(YamlNode lock, YamlReader(buf_lock, lock_name).Read());
    if (const YamlNode* deps = lock.Find("deps")) {
      BufMapper(lock_name, &out).Deps(*deps, "the pinned deps");
    }
  }
  return out;
}

Result<BufConfig> LoadCheckConfig(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  BufConfig out;
  if (fs::exists(fs::path(dir) / kModuleConfigFile, ec) ||
      !fs::exists(fs::path(dir) / kBufConfigFile, ec)) {
    SPOKE_ASSIGN_OR_RETURN(out.config, LoadModuleConfig(dir));
    return out;
  }
  SPOKE_ASSIGN_OR_RETURN(std::string yaml,
                         ReadFileToString((fs::path(dir) / kBufConfigFile).string()));
  std::string lock;
  if (fs::exists(fs::path(dir) / kBufLockFile, ec)) {
    SPOKE_ASSIGN_OR_RETURN(lock, ReadFileToString((fs::path(dir) / kBufLockFile).string()));
  }
  return ParseBufConfig(yaml, lock, dir);
}

}  // namespace spoke
