// LoaderSourceTree and ErrorList.
#include "compile/source_tree.h"

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <cctype>

#include <filesystem>

namespace spoke {

namespace {
// Where Debian's libprotobuf-dev installs the well-known types.
constexpr char kWellKnownRoot[] = "/usr/include";
constexpr char kWellKnownPrefix[] = "google/protobuf/";

// A stream over bytes it owns: the parser deletes it when done with the file, and the bytes go
// with it instead of staying for the whole compile.
class OwningInputStream : public google::protobuf::io::ZeroCopyInputStream {
 public:
  explicit OwningInputStream(std::string bytes)
      : bytes_(std::move(bytes)), stream_(bytes_.data(), static_cast<int>(bytes_.size())) {}
  bool Next(const void** data, int* size) override { return stream_.Next(data, size); }
  void BackUp(int count) override { stream_.BackUp(count); }
  bool Skip(int count) override { return stream_.Skip(count); }
  int64_t ByteCount() const override { return stream_.ByteCount(); }

 private:
  const std::string bytes_;
  google::protobuf::io::ArrayInputStream stream_;
};

}  // namespace

bool CompilerProvides(const std::string& path) {
  if (path.rfind(kWellKnownPrefix, 0) != 0 || path.find("..") != std::string::npos) return false;
  std::error_code ec;
  return std::filesystem::is_regular_file(std::string(kWellKnownRoot) + "/" + path, ec);
}

LoaderSourceTree::LoaderSourceTree(const std::map<std::string, std::string>& sources,
                                   SourceLoader load)
    : sources_(sources), load_(std::move(load)) {
  well_known_.MapPath("google/protobuf", std::string(kWellKnownRoot) + "/google/protobuf");
}

google::protobuf::io::ZeroCopyInputStream* LoaderSourceTree::Open(const std::string& filename) {
  auto it = sources_.find(filename);
  if (it == sources_.end()) {
    if (filename.rfind(kWellKnownPrefix, 0) == 0) return well_known_.Open(filename);
    last_error_ = "File not found.";
    return nullptr;
  }
  auto content = load_(it->second);
  if (!content.ok()) {
    last_error_ = content.status().message();
    return nullptr;
  }
  return new OwningInputStream(std::move(*content));
}

namespace {

// True when `message` opens with its own "file:line:col: " (a loader's refusal of a file's text,
// e.g. bytes that are not UTF-8), which a "file: " prefix would only repeat.
bool StartsWithLocation(const std::string& message) {
  const size_t end = message.find(": ");
  if (end == std::string::npos) return false;
  size_t pos = end;
  for (int number = 0; number < 2; ++number) {
    size_t digits = 0;
    while (pos > 0 && std::isdigit(static_cast<unsigned char>(message[pos - 1]))) --pos, ++digits;
    if (digits == 0 || pos == 0 || message[pos - 1] != ':') return false;
    --pos;
  }
  return pos > 0;
}

}  // namespace

void ErrorList::AddError(const std::string& filename, int line, int column,
                         const std::string& message) {
  if (line < 0 && StartsWithLocation(message)) {
    errors_.push_back(message);
    return;
  }
  // libprotoc counts lines and columns from 0; editors and people count from 1.
  std::string where = filename;
  if (line >= 0) where += ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1);
  errors_.push_back(where + ": " + message);
}

std::string ErrorList::Joined() const {
  std::string out;
  for (const auto& e : errors_) out += (out.empty() ? "" : "\n") + e;
  return out;
}

}  // namespace spoke
