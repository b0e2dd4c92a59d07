// Turning one .proto file into the search index's compact form: libprotoc's parser gives a
// FileDescriptorProto with every declaration's source location and comments, and a walk over it
// names each element the way protoc would, keeping only what a search hit shows.
#include "deps/indexed_file.h"

#include <google/protobuf/compiler/parser.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>

#include <limits>
#include <map>

namespace spoke {
namespace {

namespace pb = google::protobuf;

// Field numbers of descriptor.proto: the steps of a SourceCodeInfo path.
constexpr int kFilePackage = 2, kFileMessage = 4, kFileEnum = 5, kFileService = 6,
              kFileExtension = 7, kFileSyntax = 12;
constexpr int kMessageField = 2, kMessageNested = 3, kMessageEnum = 4, kMessageExtension = 6;
constexpr int kEnumValue = 2, kServiceMethod = 2;

class CollectErrors : public pb::io::ErrorCollector {
 public:
  explicit CollectErrors(const std::string& path) : path_(path) {}
  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    if (!errors_.empty()) errors_ += "\n";
    errors_ +=
        path_ + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message;
  }
  const std::string& errors() const { return errors_; }

 private:
  const std::string& path_;
  std::string errors_;
};

// A comment as a hit shows it: each line's surrounding whitespace trimmed, blank lines at either
// end dropped.
std::string TrimComment(const std::string& comment) {
  std::string out;
  size_t start = 0;
  while (start <= comment.size()) {
    size_t end = comment.find('\n', start);
    if (end == std::string::npos) end = comment.size();
    size_t first = comment.find_first_not_of(" \t\r", start);
    if (first != std::string::npos && first < end) {
      size_t last = comment.find_last_not_of(" \t\r", end - 1);
      if (!out.empty()) out += '\n';
      out.append(comment, first, last - first + 1);
    } else if (!out.empty()) {
      out += '\n';
    }
    start = end + 1;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

class Outline {
 public:
  Outline(const pb::FileDescriptorProto& file, IndexedFile* out) : file_(file), out_(out) {
    for (const auto& location : file.source_code_info().location()) {
      locations_.emplace(std::vector<int>(location.path().begin(), location.path().end()),
                         &location);
    }
  }

  Status Walk() {
    const std::string& scope = file_.package();
    for (int i = 0; i < file_.message_type_size(); ++i)
      Message(file_.message_type(i), scope, {kFileMessage, i});
    for (int i = 0; i < file_.enum_type_size(); ++i)
      Enum(file_.enum_type(i), scope, {kFileEnum, i});
    for (int i = 0; i < file_.service_size(); ++i) {
      const auto& service = file_.service(i);
      std::vector<int> path = {kFileService, i};
      std::string name = Add(SearchKind::kService, scope, service.name(), path);
      for (int j = 0; j < service.method_size(); ++j) {
        Add(SearchKind::kMethod, name, service.method(j).name(), Sub(path, {kServiceMethod, j}));
      }
    }
    for (int i = 0; i < file_.extension_size(); ++i) {
      Add(SearchKind::kField, scope, file_.extension(i).name(), {kFileExtension, i});
    }
    const pb::SourceCodeInfo::Location* about = Find({kFileSyntax});
    if (about == nullptr || about->leading_comments().empty()) about = Find({kFilePackage});
    if (about != nullptr)
      Append(TrimComment(about->leading_comments()), &out_->comment_at, &out_->comment_size);
    return too_large_ ? Status::InvalidArgument("too large to index") : Status::Ok();
  }

 private:
  static std::vector<int> Sub(std::vector<int> path, std::initializer_list<int> steps) {
    path.insert(path.end(), steps.begin(), steps.end());
    return path;
  }

  const pb::SourceCodeInfo::Location* Find(const std::vector<int>& path) const {
    auto it = locations_.find(path);
    return it == locations_.end() ? nullptr : it->second;
  }

  void Append(const std::string& part, uint32_t* at, uint32_t* size) {
    if (out_->text.size() + part.size() > std::numeric_limits<uint32_t>::max()) {
      too_large_ = true;
      return;
    }
    *at = static_cast<uint32_t>(out_->text.size());
    *size = static_cast<uint32_t>(part.size());
    out_->text += part;
  }

  // Records one element; returns its full name (the scope of what it contains).
  std::string Add(SearchKind kind, const std::string& scope, const std::string& name,
                  const std::vector<int>& path) {
    std::string full = scope.empty() ? name : scope + "." + name;
    if (full.size() > std::numeric_limits<uint16_t>::max()) {
      too_large_ = true;
      return full;
    }
    IndexedFile::Element element;
    element.kind = kind;
    element.name_size = static_cast<uint16_t>(full.size());
    element.simple_name_at = static_cast<uint16_t>(full.size() - name.size());
    uint32_t name_size = 0;
    Append(full, &element.name_at, &name_size);
    if (const auto* location = Find(path)) {
      if (location->span_size() > 0) element.line = static_cast<uint32_t>(location->span(0)) + 1;
      std::string comment = TrimComment(location->leading_comments());
      if (!comment.empty()) Append(comment, &element.comment_at, &element.comment_size);
    }
    out_->elements.push_back(element);
    return full;
  }

  void Message(const pb::DescriptorProto& message, const std::string& scope,
               const std::vector<int>& path) {
    // A map field's entry type is the parser's invention, not something the author declared.
    if (message.options().map_entry()) return;
    std::string name = Add(SearchKind::kMessage, scope, message.name(), path);
    for (int i = 0; i < message.field_size(); ++i) {
      Add(SearchKind::kField, name, message.field(i).name(), Sub(path, {kMessageField, i}));
    }
    for (int i = 0; i < message.extension_size(); ++i) {
      Add(SearchKind::kField, name, message.extension(i).name(), Sub(path, {kMessageExtension, i}));
    }
    for (int i = 0; i < message.nested_type_size(); ++i) {
      Message(message.nested_type(i), name, Sub(path, {kMessageNested, i}));
    }
    for (int i = 0; i < message.enum_type_size(); ++i) {
      Enum(message.enum_type(i), name, Sub(path, {kMessageEnum, i}));
    }
  }

  void Enum(const pb::EnumDescriptorProto& enum_type, const std::string& scope,
            const std::vector<int>& path) {
    std::string name = Add(SearchKind::kEnum, scope, enum_type.name(), path);
    for (int i = 0; i < enum_type.value_size(); ++i) {
      Add(SearchKind::kEnumValue, name, enum_type.value(i).name(), Sub(path, {kEnumValue, i}));
    }
  }

  const pb::FileDescriptorProto& file_;
  IndexedFile* out_;
  std::map<std::vector<int>, const pb::SourceCodeInfo::Location*> locations_;
  bool too_large_ = false;
};

}  // namespace

Result<std::unique_ptr<IndexedFile>> IndexProtoFile(const std::string& path,
                                                    const std::string& content) {
  if (content.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Status::InvalidArgument(path + " is too large to index");
  }
  pb::io::ArrayInputStream input(content.data(), static_cast<int>(content.size()));
  CollectErrors errors(path);
  pb::io::Tokenizer tokenizer(&input, &errors);
  // The parser logs a warning for a file without a syntax statement; a registry indexing thousands
  // of files would print one per such file. Errors still come through `errors`.
  pb::LogSilencer quiet;
  pb::compiler::Parser parser;
  parser.RecordErrorsTo(&errors);
  pb::FileDescriptorProto proto;
  bool parsed = parser.Parse(&tokenizer, &proto);
  if (!parsed || !errors.errors().empty()) {
    return Status::InvalidArgument(errors.errors().empty() ? path + " does not parse"
                                                           : errors.errors());
  }
  auto file = std::make_unique<IndexedFile>();
  if (Status s = Outline(proto, file.get()).Walk(); !s.ok())
    return Status(s.code(), path + " is " + s.message());
  file->text.shrink_to_fit();
  file->elements.shrink_to_fit();
  return file;
}

}  // namespace spoke
