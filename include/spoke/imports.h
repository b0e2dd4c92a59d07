// Import statements: which files a .proto file imports, and where it says so.
//
// Scanning works on tokens, not on a full parse, so it reads any syntax ("proto2", "proto3",
// editions) whatever compiler version this build links: batch-push must order modules by their
// imports before the registry's compiler has judged them. Comments and strings are understood;
// only top-level `import ["public"|"weak"] "<path>";` statements count.
#ifndef SPOKE_IMPORTS_H_
#define SPOKE_IMPORTS_H_

#include <string>
#include <vector>

#include "spoke/manifest.h"

namespace spoke {

struct ImportStatement {
  std::string file;  // the importing file
  std::string path;  // what it imports
  int line = 0;      // of the import keyword, counted from 1
  int column = 0;    // counted from 1
  // "order/order.proto:3:1"
  std::string Where() const;
};

// The import statements of `content` (the file named `file`), in order. Never fails: text that
// does not tokenize is left for the compiler to report.
std::vector<ImportStatement> ScanImports(const std::string& file, const std::string& content);

// Every import statement of every file of `files`, by file path, then in order within a file.
std::vector<ImportStatement> ScanImports(const FileSet& files);

}  // namespace spoke

#endif  // SPOKE_IMPORTS_H_
