// A strict recursive-descent JSON parser and a deterministic writer for spoke::Json.
#include "spoke/json.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "util/utf8.h"

namespace spoke {
namespace {

const std::string kEmptyString;
const Json::Array kEmptyArray;
const Json::Object kEmptyObject;

// Nesting deeper than this is refused, so a hostile body cannot exhaust the stack.
constexpr int kMaxDepth = 64;

class Parser {
 public:
  explicit Parser(const std::string& text) : text_(text) {}

  Result<Json> ParseDocument() {
    Json value;
    if (!ParseValue(&value, 0)) return Error();
    SkipSpace();
    if (pos_ != text_.size()) {
      error_ = "unexpected trailing characters";
      return Error();
    }
    return value;
  }

 private:
  Status Error() const {
    return Status::InvalidArgument("invalid JSON at byte " + std::to_string(pos_) + ": " + error_);
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Fail(const char* message) {
    error_ = message;
    return false;
  }

  bool ParseValue(Json* out, int depth) {
    if (depth > kMaxDepth) return Fail("nesting too deep");
    SkipSpace();
    if (pos_ >= text_.size()) return Fail("unexpected end of input");
    char c = text_[pos_];
    if (c == '{') return ParseObject(out, depth);
    if (c == '[') return ParseArray(out, depth);
    if (c == '"') {
      std::string s;
      if (!ParseString(&s)) return false;
      *out = Json(std::move(s));
      return true;
    }
    if (c == 't') return ParseLiteral("true", Json(true), out);
    if (c == 'f') return ParseLiteral("false", Json(false), out);
    if (c == 'n') return ParseLiteral("null", Json(), out);
    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(out);
    return Fail("unexpected character");
  }

  bool ParseLiteral(const char* word, Json value, Json* out) {
    std::string w(word);
    if (text_.compare(pos_, w.size(), w) != 0) return Fail("invalid literal");
    pos_ += w.size();
    *out = std::move(value);
    return true;
  }

  bool ParseNumber(Json* out) {
    size_t start = pos_;
    bool integral = true;
    if (text_[pos_] == '-') ++pos_;
    if (pos_ >= text_.size() || !isdigit(static_cast<unsigned char>(text_[pos_]))) {
      return Fail("invalid number");
    }
    if (text_[pos_] == '0') {
      ++pos_;
    } else {
      while (pos_ < text_.size() && isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (pos_ >= text_.size() || !isdigit(static_cast<unsigned char>(text_[pos_]))) {
        return Fail("invalid number");
      }
      while (pos_ < text_.size() && isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (pos_ >= text_.size() || !isdigit(static_cast<unsigned char>(text_[pos_]))) {
        return Fail("invalid number");
      }
      while (pos_ < text_.size() && isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }
    std::string token = text_.substr(start, pos_ - start);
    if (integral) {
      // Every integer that fits int64 is kept exactly; only larger ones fall back to double.
      errno = 0;
      long long n = std::strtoll(token.c_str(), nullptr, 10);
      if (errno != ERANGE) {
        *out = Json(static_cast<int64_t>(n));
        return true;
      }
    }
    const double value = std::strtod(token.c_str(), nullptr);
    if (!std::isfinite(value)) {
      // JSON has no infinity: a number beyond double's range would come back out as null.
      pos_ = start;
      return Fail("number out of range");
    }
    *out = Json(value);
    return true;
  }

  bool ParseHex4(unsigned* code) {
    if (pos_ + 4 > text_.size()) return Fail("truncated \\u escape");
    *code = 0;
    for (int i = 0; i < 4; ++i) {
      char h = text_[pos_++];
      *code <<= 4;
      if (h >= '0' && h <= '9')
        *code |= h - '0';
      else if (h >= 'a' && h <= 'f')
        *code |= h - 'a' + 10;
      else if (h >= 'A' && h <= 'F')
        *code |= h - 'A' + 10;
      else
        return Fail("invalid \\u escape");
    }
    return true;
  }

  static void AppendUtf8(std::string* out, unsigned cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= text_.size()) return Fail("unterminated string");
      if (static_cast<unsigned char>(text_[pos_]) >= 0x80) {
        // RFC 8259 text is Unicode: a byte that is not part of well-formed UTF-8 is refused where
        // it stands, so nothing downstream ever holds a string that cannot be written back out.
        size_t length = Utf8SequenceLength(text_, pos_);
        if (length == 0) return Fail("invalid UTF-8 in a string");
        out->append(text_, pos_, length);
        pos_ += length;
        continue;
      }
      char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return Fail("control character in string");
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return Fail("unterminated escape");
      char e = text_[pos_++];
      switch (e) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '/':
          out->push_back('/');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          unsigned cp;
          if (!ParseHex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned low;
            if (text_.compare(pos_, 2, "\\u") != 0) return Fail("unpaired surrogate");
            pos_ += 2;
            if (!ParseHex4(&low) || low < 0xDC00 || low > 0xDFFF) return Fail("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Fail("unpaired surrogate");
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          return Fail("invalid escape");
      }
    }
  }

  bool ParseArray(Json* out, int depth) {
    ++pos_;
    Json::Array items;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      *out = Json(std::move(items));
      return true;
    }
    while (true) {
      Json item;
      if (!ParseValue(&item, depth + 1)) return false;
      items.push_back(std::move(item));
      SkipSpace();
      if (pos_ >= text_.size()) return Fail("unterminated array");
      // Checked before moving on, so the error's offset is the offending byte's.
      char c = text_[pos_];
      if (c != ',' && c != ']') return Fail("expected ',' or ']'");
      ++pos_;
      if (c == ']') break;
    }
    *out = Json(std::move(items));
    return true;
  }

  bool ParseObject(Json* out, int depth) {
    ++pos_;
    Json object = Json::MakeObject();
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      *out = std::move(object);
      return true;
    }
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Fail("expected a string key");
      std::string key;
      if (!ParseString(&key)) return false;
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return Fail("expected ':'");
      ++pos_;
      Json value;
      if (!ParseValue(&value, depth + 1)) return false;
      object.Set(key, std::move(value));
      SkipSpace();
      if (pos_ >= text_.size()) return Fail("unterminated object");
      char c = text_[pos_];
      if (c != ',' && c != '}') return Fail("expected ',' or '}'");
      ++pos_;
      if (c == '}') break;
    }
    *out = std::move(object);
    return true;
  }

  const std::string& text_;
  size_t pos_ = 0;
  std::string error_;
};

void AppendIndent(std::string* out, int indent, int depth) {
  if (indent <= 0) return;
  out->push_back('\n');
  out->append(static_cast<size_t>(indent * depth), ' ');
}

}  // namespace

void AppendJsonString(std::string* out, const std::string& s) {
  out->push_back('"');
  for (size_t at = 0; at < s.size(); ++at) {
    const auto c = static_cast<unsigned char>(s[at]);
    if (c >= 0x80) {
      // A byte that is not part of well-formed UTF-8 becomes U+FFFD, as Go's encoding/json does:
      // the output stays JSON every parser accepts, and the damage is visible.
      size_t length = Utf8SequenceLength(s, at);
      if (length == 0) {
        out->append("\xEF\xBF\xBD");
      } else {
        out->append(s, at, length);
        at += length - 1;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

const std::string& Json::as_string() const { return is_string() ? string_ : kEmptyString; }
const Json::Array& Json::as_array() const { return is_array() ? array_ : kEmptyArray; }
const Json::Object& Json::as_object() const { return is_object() ? object_ : kEmptyObject; }

const Json* Json::Get(const std::string& key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : object_) {
    if (k == key) return &v;
  }
  return nullptr;
}

Json& Json::Set(const std::string& key, Json value) {
  for (auto& [k, v] : object_) {
    if (k == key) {
      v = std::move(value);
      return v;
    }
  }
  object_.emplace_back(key, std::move(value));
  return object_.back().second;
}

std::string Json::GetString(const std::string& key) const {
  const Json* v = Get(key);
  return v ? v->as_string() : std::string();
}

std::string Json::Dump(int indent) const {
  std::string out;
  DumpTo(&out, indent, 0);
  return out;
}

void Json::DumpTo(std::string* out, int indent, int depth) const {
  switch (type_) {
    case Type::kNull:
      out->append("null");
      break;
    case Type::kBool:
      out->append(bool_ ? "true" : "false");
      break;
    case Type::kNumber: {
      if (std::isfinite(number_) && static_cast<double>(int_) == number_) {
        out->append(std::to_string(int_));
      } else if (std::isfinite(number_)) {
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%.17g", number_);
        out->append(buf);
      } else {
        out->append("null");
      }
      break;
    }
    case Type::kString:
      AppendJsonString(out, string_);
      break;
    case Type::kArray: {
      out->push_back('[');
      for (size_t i = 0; i < array_.size(); ++i) {
        if (i) out->push_back(',');
        AppendIndent(out, indent, depth + 1);
        array_[i].DumpTo(out, indent, depth + 1);
      }
      if (!array_.empty()) AppendIndent(out, indent, depth);
      out->push_back(']');
      break;
    }
    case Type::kObject: {
      out->push_back('{');
      for (size_t i = 0; i < object_.size(); ++i) {
        if (i) out->push_back(',');
        AppendIndent(out, indent, depth + 1);
        AppendJsonString(out, object_[i].first);
        out->append(indent > 0 ? ": " : ":");
        object_[i].second.DumpTo(out, indent, depth + 1);
      }
      if (!object_.empty()) AppendIndent(out, indent, depth);
      out->push_back('}');
      break;
    }
  }
}

Result<Json> Json::Parse(const std::string& text) { return Parser(text).ParseDocument(); }

}  // namespace spoke
