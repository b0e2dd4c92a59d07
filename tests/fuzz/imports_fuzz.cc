// Fuzzes ScanImports (include/spoke/imports.h), which reads every .proto file batch-push and the
// registry's import index see, before any compiler has judged them: any bytes give a list of
// import statements (never a failure) whose positions lie inside the text.
#include <algorithm>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "spoke/imports.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using spoke::fuzz::Check;
  std::string content = spoke::fuzz::AsString(data, size);
  auto statements = spoke::ScanImports("a/b.proto", content);
  int lines = 1 + static_cast<int>(std::count(content.begin(), content.end(), '\n'));
  int previous_line = 0;
  for (const auto& statement : statements) {
    Check(statement.file == "a/b.proto", "an import statement names another file", statement.file);
    Check(statement.line >= 1 && statement.line <= lines,
          "an import statement's line is outside the text", statement.Where());
    Check(statement.column >= 1, "an import statement's column is not positive", statement.Where());
    Check(statement.line >= previous_line, "import statements are out of order", statement.Where());
    previous_line = statement.line;
  }
  // Each file of a set is scanned as it would be alone.
  auto in_set = spoke::ScanImports(spoke::FileSet{{"a/b.proto", content}});
  Check(in_set.size() == statements.size(), "a file scans differently inside a file set");
  return 0;
}
