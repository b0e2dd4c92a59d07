// The compiler's view of sources: a libprotoc SourceTree over a path -> id map, loading each file
// through a SourceLoader (git blobs for a store) the first time it is opened. Google's well-known
// types (google/protobuf/*.proto) come from libprotobuf's installed copies when the sources do not
// hold them. Also the error collector that formats errors as file:line:col.
#ifndef SPOKE_COMPILE_SOURCE_TREE_H_
#define SPOKE_COMPILE_SOURCE_TREE_H_

#include <google/protobuf/compiler/importer.h>

#include <map>
#include <string>
#include <vector>

#include "spoke/compiler.h"

namespace spoke {

class LoaderSourceTree : public google::protobuf::compiler::SourceTree {
 public:
  LoaderSourceTree(const std::map<std::string, std::string>& sources, SourceLoader load);
  google::protobuf::io::ZeroCopyInputStream* Open(const std::string& filename) override;
  std::string GetLastErrorMessage() override { return last_error_; }

 private:
  const std::map<std::string, std::string>& sources_;
  SourceLoader load_;
  google::protobuf::compiler::DiskSourceTree well_known_;
  std::string last_error_;
};

class ErrorList : public google::protobuf::compiler::MultiFileErrorCollector {
 public:
  void AddError(const std::string& filename, int line, int column,
                const std::string& message) override;
  void AddWarning(const std::string& filename, int line, int column,
                  const std::string& message) override {}
  bool empty() const { return errors_.empty(); }
  // All errors, one "file:line:col: message" per line.
  std::string Joined() const;

 private:
  std::vector<std::string> errors_;
};

}  // namespace spoke

#endif  // SPOKE_COMPILE_SOURCE_TREE_H_
