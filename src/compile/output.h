// Generated output held in memory: a libprotoc GeneratorContext whose files are strings, with
// protoc's insertion points ("@@protoc_insertion_point(NAME)") applied the way protoc applies them.
#ifndef SPOKE_COMPILE_OUTPUT_H_
#define SPOKE_COMPILE_OUTPUT_H_

#include <google/protobuf/compiler/code_generator.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "spoke/compiler.h"

namespace spoke {

class MemoryOutput : public google::protobuf::compiler::GeneratorContext {
 public:
  // Told about each file opened with Open() when the generator closes its stream. The content
  // stays valid and unchanged until Finish() is called, unless the callback returns true: it has
  // put the file elsewhere, and the content is freed at once (Finish() then gives it empty).
  using ClosedCallback = std::function<bool(const std::string& path, std::string_view content)>;
  // Asked before the ClosedCallback, with the file's pieces before they are joined; true: it has
  // put the file elsewhere, the pieces are freed unjoined, and the ClosedCallback is not called.
  using TakeCallback =
      std::function<bool(const std::string& path, const std::vector<std::string_view>& pieces)>;

  MemoryOutput(std::vector<const google::protobuf::FileDescriptor*> parsed,
               ClosedCallback on_closed, TakeCallback on_take = nullptr)
      : parsed_(std::move(parsed)),
        on_closed_(std::move(on_closed)),
        on_take_(std::move(on_take)) {}

  google::protobuf::io::ZeroCopyOutputStream* Open(const std::string& filename) override;
  google::protobuf::io::ZeroCopyOutputStream* OpenForInsert(
      const std::string& filename, const std::string& insertion_point) override;
  void ListParsedFiles(std::vector<const google::protobuf::FileDescriptor*>* output) override {
    *output = parsed_;
  }

  // Adds a file written by a plugin (name, optional insertion point, content).
  void AddFile(const std::string& name, const std::string& insertion_point,
               const std::string& content);
  // Appends to what AddFile added last (a plugin's nameless continuation).
  void AppendToLast(const std::string& content) {
    if (last_) last_->append(content);
  }
  // Insertions from now on were made by work unit `unit`; outputs absorbed into one apply them in
  // unit order, as if the units had run one after another.
  void BeginUnit(size_t unit) { unit_ = unit; }
  // Moves `other`'s files and insertions into this output. REQUIRES: every stream `other` handed
  // out is closed.
  void Absorb(MemoryOutput&& other);
  // Applies pending insertions and returns the files; adds to *unannounced the paths whose final
  // content was not given to the ClosedCallback. InvalidArgument when a path was written twice,
  // as protoc refuses it ("Tried to write the same file twice."); Internal when an insertion
  // targets a file whose content was freed. REQUIRES: every stream handed out is closed.
  Result<GeneratedFiles> Finish(std::set<std::string>* unannounced);

 private:
  struct Insertion {
    std::string file, point;
    std::unique_ptr<std::string> content;
    size_t unit = 0;  // applied in unit order, as one thread would have made them
  };
  std::vector<const google::protobuf::FileDescriptor*> parsed_;
  ClosedCallback on_closed_;
  TakeCallback on_take_;
  std::map<std::string, std::unique_ptr<std::string>> files_;
  // Contents replaced by a second Open() of the same path: kept, as the callback may still read
  // them.
  std::vector<std::unique_ptr<std::string>> replaced_;
  std::set<std::string> announced_;
  std::vector<Insertion> insertions_;
  std::string* last_ = nullptr;
  size_t unit_ = 0;
  std::set<std::string> released_;    // paths whose content the callback took (freed)
  std::set<std::string> duplicates_;  // paths opened more than once
};

}  // namespace spoke

#endif  // SPOKE_COMPILE_OUTPUT_H_
