// MemoryOutput: generated files as strings, and insertion points.
#include "compile/output.h"

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>

namespace spoke {
namespace {

// A generated file written in blocks and, unless `take` takes the blocks as they are, joined into
// its string once, when the generator deletes the stream (its Printer has backed up the unused
// tail by then). A string grown by doubling, as
// StringOutputStream grows it, keeps up to as much slack as content, which for gigabytes of
// generated code is hundreds of megabytes held to the end; joining copies each byte once, where
// doubling copies it up to twice. Then tells `on_close`, if any, that the file is complete.
class FileStream : public google::protobuf::io::ZeroCopyOutputStream {
 public:
  using Take = std::function<bool(const std::vector<std::string_view>& pieces)>;
  FileStream(std::string* target, Take take, std::function<void()> on_close)
      : target_(target), take_(std::move(take)), on_close_(std::move(on_close)) {}
  ~FileStream() override {
    std::vector<std::string_view> pieces;
    pieces.reserve(blocks_.size());
    for (size_t i = 0; i < blocks_.size(); ++i) {
      pieces.emplace_back(blocks_[i].data.get(), i + 1 == blocks_.size() ? used_ : blocks_[i].size);
    }
    if (take_ && take_(pieces)) return;
    target_->reserve(target_->size() + static_cast<size_t>(bytes_));
    for (std::string_view piece : pieces) target_->append(piece);
    blocks_.clear();
    if (on_close_) on_close_();
  }
  bool Next(void** data, int* size) override {
    if (blocks_.empty() || used_ == blocks_.back().size) {
      // Small files stay small; large ones take few blocks.
      const size_t block =
          blocks_.empty() ? 4096 : std::min<size_t>(blocks_.back().size * 2, 1 << 20);
      blocks_.push_back({std::make_unique_for_overwrite<char[]>(block), block});
      used_ = 0;
    }
    Block& last = blocks_.back();
    *data = last.data.get() + used_;
    *size = static_cast<int>(last.size - used_);
    bytes_ += *size;
    used_ = last.size;
    return true;
  }
  void BackUp(int count) override {
    used_ -= static_cast<size_t>(count);
    bytes_ -= count;
  }
  int64_t ByteCount() const override { return bytes_; }

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    size_t size;
  };
  std::string* target_;
  Take take_;
  std::function<void()> on_close_;
  std::vector<Block> blocks_;
  size_t used_ = 0;  // of the last block
  int64_t bytes_ = 0;
};

}  // namespace

google::protobuf::io::ZeroCopyOutputStream* MemoryOutput::Open(const std::string& filename) {
  auto& slot = files_[filename];
  if (slot) {
    duplicates_.insert(filename);
    replaced_.push_back(std::move(slot));  // the callback may still be reading it
  }
  announced_.erase(filename);
  released_.erase(filename);
  slot = std::make_unique<std::string>();
  FileStream::Take take;
  if (on_take_) {
    take = [this, filename](const std::vector<std::string_view>& pieces) {
      if (!on_take_(filename, pieces)) return false;
      released_.insert(filename);
      announced_.insert(filename);
      return true;
    };
  }
  if (!on_closed_) return new FileStream(slot.get(), std::move(take), nullptr);
  std::string* content = slot.get();
  return new FileStream(content, std::move(take), [this, filename, content] {
    if (on_closed_(filename, *content)) {
      std::string().swap(*content);
      released_.insert(filename);
    }
    announced_.insert(filename);
  });
}

google::protobuf::io::ZeroCopyOutputStream* MemoryOutput::OpenForInsert(
    const std::string& filename, const std::string& insertion_point) {
  insertions_.push_back({filename, insertion_point, std::make_unique<std::string>(), unit_});
  return new google::protobuf::io::StringOutputStream(insertions_.back().content.get());
}

void MemoryOutput::AddFile(const std::string& name, const std::string& insertion_point,
                           const std::string& content) {
  if (insertion_point.empty()) {
    auto& slot = files_[name];
    if (slot) {
      duplicates_.insert(name);
      replaced_.push_back(std::move(slot));
    }
    announced_.erase(name);
    released_.erase(name);
    slot = std::make_unique<std::string>(content);
    last_ = slot.get();
  } else {
    insertions_.push_back({name, insertion_point, std::make_unique<std::string>(content), unit_});
    last_ = insertions_.back().content.get();
  }
}

void MemoryOutput::Absorb(MemoryOutput&& other) {
  for (auto& [name, content] : other.files_) {
    auto [it, inserted] = files_.try_emplace(name);
    if (!inserted) {
      duplicates_.insert(name);
      replaced_.push_back(std::move(content));
      continue;
    }
    it->second = std::move(content);
    if (other.announced_.count(name)) announced_.insert(name);
    if (other.released_.count(name)) released_.insert(name);
  }
  duplicates_.insert(other.duplicates_.begin(), other.duplicates_.end());
  for (auto& replaced : other.replaced_) replaced_.push_back(std::move(replaced));
  for (auto& insertion : other.insertions_) insertions_.push_back(std::move(insertion));
  std::stable_sort(insertions_.begin(), insertions_.end(),
                   [](const Insertion& a, const Insertion& b) { return a.unit < b.unit; });
  other.files_.clear();
  other.replaced_.clear();
  other.insertions_.clear();
  other.announced_.clear();
  other.released_.clear();
  other.duplicates_.clear();
  other.last_ = nullptr;
}

Result<GeneratedFiles> MemoryOutput::Finish(std::set<std::string>* unannounced) {
  if (!duplicates_.empty()) {
    return Status::InvalidArgument(*duplicates_.begin() + ": Tried to write the same file twice.");
  }
  for (const auto& insertion : insertions_) {
    announced_.erase(insertion.file);
    auto it = files_.find(insertion.file);
    if (it == files_.end()) {
      return Status::Internal("a generator inserted into " + insertion.file +
                              ", which it never wrote");
    }
    if (released_.count(insertion.file)) {
      return Status::Internal("a generator inserted into " + insertion.file +
                              " after it was handed over");
    }
    std::string& target = *it->second;
    std::string marker = "@@protoc_insertion_point(" + insertion.point + ")";
    size_t pos = target.find(marker);
    if (pos == std::string::npos) {
      return Status::Internal("insertion point " + insertion.point + " not found in " +
                              insertion.file);
    }
    // Insert before the marker's line, indented like it, as protoc does.
    size_t line_start = target.rfind('\n', pos);
    line_start = line_start == std::string::npos ? 0 : line_start + 1;
    std::string indent;
    for (size_t i = line_start; i < pos && (target[i] == ' ' || target[i] == '\t'); ++i)
      indent += target[i];
    std::string indented;
    const std::string& text = *insertion.content;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      std::string line =
          text.substr(start, end == std::string::npos ? std::string::npos : end - start + 1);
      if (line != "\n") indented += indent;
      indented += line;
      if (end == std::string::npos) break;
      start = end + 1;
    }
    if (!indented.empty() && indented.back() != '\n') indented += '\n';
    target.insert(line_start, indented);
  }
  GeneratedFiles out;
  for (auto& [name, content] : files_) {
    if (!announced_.count(name)) unannounced->insert(name);
    out.emplace(name, std::move(*content));
  }
  return out;
}

}  // namespace spoke
