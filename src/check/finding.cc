// Ordering and printing of findings, shared by lint, breaking and the server's refusals.
#include "spoke/finding.h"

#include <algorithm>
#include <tuple>

namespace spoke {

bool operator<(const Finding& a, const Finding& b) {
  return std::tie(a.file, a.line, a.column, a.rule, a.message, a.in_previous, a.new_file,
                  a.new_line, a.new_column) < std::tie(b.file, b.line, b.column, b.rule, b.message,
                                                       b.in_previous, b.new_file, b.new_line,
                                                       b.new_column);
}

bool operator==(const Finding& a, const Finding& b) {
  return std::tie(a.file, a.line, a.column, a.rule, a.message, a.in_previous, a.new_file,
                  a.new_line, a.new_column) == std::tie(b.file, b.line, b.column, b.rule, b.message,
                                                        b.in_previous, b.new_file, b.new_line,
                                                        b.new_column);
}

void SortFindings(std::vector<Finding>* findings) {
  std::sort(findings->begin(), findings->end());
  findings->erase(std::unique(findings->begin(), findings->end()), findings->end());
}

std::string FormatFinding(const Finding& finding) {
  int line = finding.line > 0 ? finding.line : 1;
  int column = finding.line > 0 && finding.column > 0 ? finding.column : 1;
  return finding.file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
         finding.message + " (" + finding.rule + ")";
}

std::string FormatFindings(const std::vector<Finding>& findings) {
  std::string out;
  for (const auto& finding : findings) out += FormatFinding(finding) + "\n";
  return out;
}

Json FindingToJson(const Finding& finding) {
  Json out = Json::MakeObject();
  out.Set("rule", finding.rule);
  out.Set("file", finding.file);
  out.Set("line", finding.line);
  out.Set("column", finding.column);
  out.Set("message", finding.message);
  if (finding.in_previous) out.Set("in_previous", true);
  if (finding.in_previous && finding.new_line > 0) {
    Json in_new = Json::MakeObject();
    in_new.Set("file", finding.new_file);
    in_new.Set("line", finding.new_line);
    in_new.Set("column", finding.new_column);
    out.Set("in_new", std::move(in_new));
  }
  return out;
}

Json FindingsToJson(const std::vector<Finding>& findings) {
  Json out = Json::MakeArray();
  for (const auto& finding : findings) out.Push(FindingToJson(finding));
  return out;
}

}  // namespace spoke
