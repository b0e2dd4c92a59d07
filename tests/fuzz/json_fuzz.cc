// Fuzzes Json::Parse (include/spoke/json.h), which reads every REST body, sync ref list, manifest
// and lockfile: any bytes parse or fail with a Status, and a value that parses dumps, compact and
// indented, to text that parses back to an equal value and dumps to the same bytes again.
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "spoke/json.h"

namespace {

using spoke::Json;

bool SameJson(const Json& a, const Json& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Json::Type::kNull:
      return true;
    case Json::Type::kBool:
      return a.as_bool() == b.as_bool();
    case Json::Type::kNumber:
      return a.as_int() == b.as_int() && a.as_double() == b.as_double();
    case Json::Type::kString:
      return a.as_string() == b.as_string();
    case Json::Type::kArray: {
      const Json::Array &x = a.as_array(), &y = b.as_array();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!SameJson(x[i], y[i])) return false;
      }
      return true;
    }
    case Json::Type::kObject: {
      const Json::Object &x = a.as_object(), &y = b.as_object();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (x[i].first != y[i].first || !SameJson(x[i].second, y[i].second)) return false;
      }
      return true;
    }
  }
  return false;
}

void CheckRoundTrip(const Json& value, int indent) {
  std::string text = value.Dump(indent);
  auto again = Json::Parse(text);
  spoke::fuzz::Check(again.ok(), "Dump() of a parsed value does not parse",
                     text + "\n" + again.status().ToString());
  spoke::fuzz::Check(SameJson(value, *again), "Dump() of a parsed value parses to another value",
                     text);
  spoke::fuzz::Check(again->Dump(indent) == text, "Dump() is not a fixed point", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = Json::Parse(spoke::fuzz::AsString(data, size));
  if (!parsed.ok()) {
    spoke::fuzz::Check(!parsed.status().ok(), "Parse() failed with an ok Status");
    return 0;
  }
  CheckRoundTrip(*parsed, 0);
  CheckRoundTrip(*parsed, 2);
  return 0;
}
