// Finding: one problem a schema check (lint, breaking) reports, with where it is and which rule
// found it, and the two ways Spoke prints findings: "file:line:col: message (RULE_ID)" for people
// and editors, and JSON for tools.
#ifndef SPOKE_FINDING_H_
#define SPOKE_FINDING_H_

#include <string>
#include <vector>

#include "spoke/json.h"

namespace spoke {

struct Finding {
  std::string rule;  // the rule's ID, e.g. "FIELD_NO_DELETE"
  std::string file;  // the file's path inside its module
  int line = 0;      // 1-based; 0 when the finding is about a whole file
  int column = 0;    // 1-based; 0 with line 0
  std::string message;
  // The location is in the previous version of the schema (a breaking check's deletions), not in
  // the one being checked.
  bool in_previous = false;
  // With in_previous: where the deletion shows in the version being checked, as buf places it (the
  // element that lost what was deleted, or line 1 of the file); new_line is 0 when nothing there
  // does (the file is gone too).
  std::string new_file;
  int new_line = 0, new_column = 0;
};

// Orders findings by file, line, column, rule and message, so output is the same on every run.
bool operator<(const Finding& a, const Finding& b);
bool operator==(const Finding& a, const Finding& b);
void SortFindings(std::vector<Finding>* findings);

// "file:line:col: message (RULE_ID)"; a whole-file finding prints as "file:1:1: ...", so every line
// has the same shape for editors and grep.
std::string FormatFinding(const Finding& finding);
// Every finding formatted, one per line, each line ended by '\n'.
std::string FormatFindings(const std::vector<Finding>& findings);

// {"rule", "file", "line", "column", "message"} plus "in_previous": true when set, and then
// "in_new": {"file", "line", "column"} when new_line is set.
Json FindingToJson(const Finding& finding);
Json FindingsToJson(const std::vector<Finding>& findings);

}  // namespace spoke

#endif  // SPOKE_FINDING_H_
