// Import statements found with protobuf's tokenizer: statement boundaries and brace depth are all
// it takes to tell a top-level import from a field named "import".
#include "spoke/imports.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace spoke {
namespace {

namespace io = google::protobuf::io;

// Tokenizer errors (an unterminated string, a stray character) are the compiler's to report.
class IgnoreErrors : public io::ErrorCollector {
 public:
  void AddError(int, io::ColumnNumber, const std::string&) override {}
};

}  // namespace

std::string ImportStatement::Where() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::vector<ImportStatement> ScanImports(const std::string& file, const std::string& content) {
  std::vector<ImportStatement> found;
  io::ArrayInputStream input(content.data(), static_cast<int>(content.size()));
  IgnoreErrors errors;
  io::Tokenizer tokenizer(&input, &errors);
  int depth = 0;
  bool statement_start = true;
  while (tokenizer.Next()) {
    const io::Tokenizer::Token& token = tokenizer.current();
    if (token.type == io::Tokenizer::TYPE_SYMBOL) {
      if (token.text == "{") ++depth;
      if (token.text == "}" && depth > 0) --depth;
      statement_start = token.text == ";" || token.text == "}" || token.text == "{";
      continue;
    }
    bool is_import = depth == 0 && statement_start &&
                     token.type == io::Tokenizer::TYPE_IDENTIFIER && token.text == "import";
    statement_start = false;
    if (!is_import) continue;
    ImportStatement statement{file, "", token.line + 1, token.column + 1};
    if (!tokenizer.Next()) break;
    if (tokenizer.current().type == io::Tokenizer::TYPE_IDENTIFIER &&
        (tokenizer.current().text == "public" || tokenizer.current().text == "weak")) {
      if (!tokenizer.Next()) break;
    }
    if (tokenizer.current().type != io::Tokenizer::TYPE_STRING) continue;
    io::Tokenizer::ParseStringAppend(tokenizer.current().text, &statement.path);
    found.push_back(std::move(statement));
  }
  return found;
}

std::vector<ImportStatement> ScanImports(const FileSet& files) {
  std::vector<ImportStatement> all;
  for (const auto& [path, content] : files) {
    auto found = ScanImports(path, content);
    all.insert(all.end(), std::make_move_iterator(found.begin()),
               std::make_move_iterator(found.end()));
  }
  return all;
}

}  // namespace spoke
