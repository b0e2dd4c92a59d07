// The text helpers of the module layer's two YAML readers (spoke.yaml in module_config.cc,
// buf.yaml and buf.lock in buf_config.cc): both read a strict subset line by line, and must trim
// and unquote a scalar the same way.
#ifndef SPOKE_MODULE_YAML_TEXT_H_
#define SPOKE_MODULE_YAML_TEXT_H_

#include <string>

namespace spoke::yaml_text {

// `s` without leading and trailing blanks (spaces, tabs, a CR of a CRLF line).
inline std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// `s` without one pair of matching enclosing quotes, single or double; as it is otherwise.
inline std::string Unquote(const std::string& s) {
  if (s.size() >= 2 &&
      ((s.front() == '"' && s.back() == '"') || (s.front() == '\'' && s.back() == '\''))) {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

}  // namespace spoke::yaml_text

#endif  // SPOKE_MODULE_YAML_TEXT_H_
