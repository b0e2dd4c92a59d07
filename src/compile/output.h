// Generated output held in memory: a libprotoc GeneratorContext whose files are strings, with
// protoc's insertion points ("@@protoc_insertion_point(NAME)") applied the way protoc applies them.
#ifndef SPOKE_COMPILE_OUTPUT_H_
#define SPOKE_COMPILE_OUTPUT_H_

#include <google/protobuf/compiler/code_generator.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "spoke/compiler.h"

namespace spoke {

class MemoryOutput : public google::protobuf::compiler::GeneratorContext {
 public:
  explicit MemoryOutput(std::vector<const google::protobuf::FileDescriptor*> parsed)
      : parsed_(std::move(parsed)) {}

  google::protobuf::io::ZeroCopyOutputStream* Open(const std::string& filename) override;
  google::protobuf::io::ZeroCopyOutputStream* OpenForInsert(const std::string& filename,
                                                            const std::string& insertion_point) override;
  void ListParsedFiles(std::vector<const google::protobuf::FileDescriptor*>* output) override {
    *output = parsed_;
  }

  // Adds a file written by a plugin (name, optional insertion point, content).
  void AddFile(const std::string& name, const std::string& insertion_point, const std::string& content);
  // Appends to what AddFile added last (a plugin's nameless continuation).
  void AppendToLast(const std::string& content) {
    if (last_) last_->append(content);
  }
  // Applies pending insertions and returns the files. REQUIRES: every stream handed out is closed.
  Result<GeneratedFiles> Finish();

 private:
  struct Insertion {
    std::string file, point;
    std::unique_ptr<std::string> content;
  };
  std::vector<const google::protobuf::FileDescriptor*> parsed_;
  std::map<std::string, std::unique_ptr<std::string>> files_;
  std::vector<Insertion> insertions_;
  std::string* last_ = nullptr;
};

}  // namespace spoke

#endif  // SPOKE_COMPILE_OUTPUT_H_
