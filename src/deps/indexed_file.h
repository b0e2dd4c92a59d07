// One .proto file as the search index keeps it (search_index.h): the named elements it declares,
// found by libprotoc's parser alone, with their names and comments packed in one string.
#ifndef SPOKE_DEPS_INDEXED_FILE_H_
#define SPOKE_DEPS_INDEXED_FILE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "spoke/search_index.h"
#include "spoke/status.h"

namespace spoke {

struct IndexedFile {
  // 24 bytes: a corpus the size of googleapis declares a few hundred thousand elements.
  struct Element {
    uint32_t name_at = 0;  // the full name is text[name_at, name_at + name_size)
    uint32_t comment_at = 0;
    uint32_t comment_size = 0;
    uint32_t line = 0;  // 1-based
    uint16_t name_size = 0;
    uint16_t simple_name_at = 0;  // where the simple name starts within the full name
    SearchKind kind = SearchKind::kMessage;
  };

  std::string text;
  std::vector<Element> elements;              // in declaration order
  uint32_t comment_at = 0, comment_size = 0;  // the file's own comment

  std::string_view Name(const Element& e) const {
    return std::string_view(text).substr(e.name_at, e.name_size);
  }
  std::string_view Comment(const Element& e) const {
    return std::string_view(text).substr(e.comment_at, e.comment_size);
  }
  std::string_view FileComment() const {
    return std::string_view(text).substr(comment_at, comment_size);
  }
};

// The elements `content` (the file at `path`) declares: messages (map entries left out), enums and
// their values, services and their methods, fields and extensions, each with its full name, the
// line of its declaration and its leading comment, trimmed line by line. Nothing is imported or
// linked, so a file indexes whatever its imports hold. InvalidArgument listing every syntax error
// as "path:line:col: message".
Result<std::unique_ptr<IndexedFile>> IndexProtoFile(const std::string& path,
                                                    const std::string& content);

}  // namespace spoke

#endif  // SPOKE_DEPS_INDEXED_FILE_H_
