// A small JSON value: what the REST API, the sync protocol's ref lists, manifests and lockfiles
// use.
//
// Objects keep their keys in insertion order, so what Spoke writes (a manifest, say) is
// byte-for-byte deterministic for the same inputs. Numbers are held as double and as int64 when
// they are integral. Parse() accepts RFC 8259 JSON only and reports the byte offset of the first
// error.
//
// Text is UTF-8 both ways: Parse() refuses a string holding bytes that are not well-formed UTF-8
// (InvalidArgument naming the offset), and Dump() never writes such bytes: a string that holds
// them (a message quoting bad input, say) is written with U+FFFD in their place.
#ifndef SPOKE_JSON_H_
#define SPOKE_JSON_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "spoke/status.h"

namespace spoke {

class Json {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() = default;                                                                    // null
  Json(std::nullptr_t) {}                                                              // NOLINT
  Json(bool b) : type_(Type::kBool), bool_(b) {}                                       // NOLINT
  Json(int n) : Json(static_cast<int64_t>(n)) {}                                       // NOLINT
  Json(int64_t n) : type_(Type::kNumber), number_(static_cast<double>(n)), int_(n) {}  // NOLINT
  Json(uint64_t n) : Json(static_cast<int64_t>(n)) {}                                  // NOLINT
  Json(double d) : type_(Type::kNumber), number_(d), int_(TruncateToInt(d)) {}         // NOLINT
  Json(const char* s) : type_(Type::kString), string_(s) {}                            // NOLINT
  Json(std::string s) : type_(Type::kString), string_(std::move(s)) {}                 // NOLINT
  Json(Array a) : type_(Type::kArray), array_(std::move(a)) {}                         // NOLINT
  Json(Object o) : type_(Type::kObject), object_(std::move(o)) {}                      // NOLINT

  static Json MakeObject() { return Json(Object{}); }
  static Json MakeArray() { return Json(Array{}); }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // Accessors return a default (false, 0, "", empty) when the type differs; callers that must
  // distinguish check the type first.
  bool as_bool() const { return is_bool() && bool_; }
  int64_t as_int() const { return is_number() ? int_ : 0; }
  double as_double() const { return is_number() ? number_ : 0; }
  const std::string& as_string() const;
  const Array& as_array() const;
  const Object& as_object() const;
  Array& mutable_array() { return array_; }

  // Object access. Get() returns nullptr when absent or when this is not an object.
  const Json* Get(const std::string& key) const;
  // Sets (or replaces) a key, keeping the first insertion's position. REQUIRES: is_object().
  Json& Set(const std::string& key, Json value);
  // REQUIRES: is_array().
  void Push(Json value) { array_.push_back(std::move(value)); }

  // Convenience readers for required/optional object fields: "" or nullptr when absent.
  std::string GetString(const std::string& key) const;

  // Compact serialization, or indented by `indent` spaces when indent > 0.
  std::string Dump(int indent = 0) const;

  static Result<Json> Parse(const std::string& text);

 private:
  void DumpTo(std::string* out, int indent, int depth) const;
  // The double's integer part, or 0 when it has none in int64 range (NaN, infinities, |d| >= 2^63),
  // where a plain cast would be undefined behaviour.
  static int64_t TruncateToInt(double d) {
    return d >= -9223372036854775808.0 && d < 9223372036854775808.0 ? static_cast<int64_t>(d) : 0;
  }

  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  int64_t int_ = 0;
  std::string string_;
  Array array_;
  Object object_;
};

// Appends `s` to `out` as a quoted JSON string with escapes; bytes of `s` that are not
// well-formed UTF-8 are written as U+FFFD.
void AppendJsonString(std::string* out, const std::string& s);

}  // namespace spoke

#endif  // SPOKE_JSON_H_
