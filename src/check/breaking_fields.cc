// Breaking-change rules about one field that exists in both versions (same message, same number):
// its name and JSON name, its type under the FILE/PACKAGE, WIRE_JSON and WIRE compatibility rules,
// its cardinality, its oneof, its options, its string handling (C++ type, UTF-8 validation) and
// its default.
#include <sstream>

#include "check/breaking_rules.h"

namespace spoke::check {
namespace {

using Type = pb::FieldDescriptor::Type;

// Types that read each other's encoding (protobuf's "updating a message type" rules): varints,
// zigzag varints, 32-bit and 64-bit fixed. string and bytes are apart (bytes need not be UTF-8);
// string -> bytes is allowed separately.
int WireGroup(Type type) {
  switch (type) {
    case Type::TYPE_INT32:
    case Type::TYPE_INT64:
    case Type::TYPE_UINT32:
    case Type::TYPE_UINT64:
    case Type::TYPE_BOOL:
      return 1;
    case Type::TYPE_SINT32:
    case Type::TYPE_SINT64:
      return 2;
    case Type::TYPE_STRING:
      return 3;
    case Type::TYPE_BYTES:
      return 4;
    case Type::TYPE_FIXED32:
    case Type::TYPE_SFIXED32:
      return 5;
    case Type::TYPE_FIXED64:
    case Type::TYPE_SFIXED64:
      return 6;
    case Type::TYPE_DOUBLE:
      return 7;
    case Type::TYPE_FLOAT:
      return 8;
    case Type::TYPE_GROUP:
      return 9;
    case Type::TYPE_MESSAGE:
      return 10;
    case Type::TYPE_ENUM:
      return 11;
  }
  return 0;
}

// Types compatible on the wire and in JSON: JSON writes 64-bit integers as strings and 32-bit ones
// as numbers, and bool as true/false, so fewer types mix than on the wire alone.
int WireJsonGroup(Type type) {
  switch (type) {
    case Type::TYPE_INT32:
    case Type::TYPE_UINT32:
      return 1;
    case Type::TYPE_INT64:
    case Type::TYPE_UINT64:
      return 2;
    case Type::TYPE_FIXED32:
    case Type::TYPE_SFIXED32:
      return 3;
    case Type::TYPE_FIXED64:
    case Type::TYPE_SFIXED64:
      return 4;
    case Type::TYPE_BOOL:
      return 5;
    case Type::TYPE_SINT32:
      return 6;
    case Type::TYPE_SINT64:
      return 7;
    case Type::TYPE_STRING:
      return 8;
    case Type::TYPE_BYTES:
      return 9;
    case Type::TYPE_DOUBLE:
      return 10;
    case Type::TYPE_FLOAT:
      return 11;
    case Type::TYPE_GROUP:
      return 12;
    case Type::TYPE_MESSAGE:
      return 13;
    case Type::TYPE_ENUM:
      return 14;
  }
  return 0;
}

bool IsNamed(const pb::FieldDescriptor* field) {
  return field->type() == Type::TYPE_MESSAGE || field->type() == Type::TYPE_GROUP ||
         field->type() == Type::TYPE_ENUM;
}

std::string TypeText(const pb::FieldDescriptor* field) {
  if (field->type() == Type::TYPE_ENUM) return field->enum_type()->full_name();
  if (field->type() == Type::TYPE_MESSAGE || field->type() == Type::TYPE_GROUP) {
    if (field->is_map()) {
      return "map<" + TypeText(field->message_type()->map_key()) + ", " +
             TypeText(field->message_type()->map_value()) + ">";
    }
    return field->message_type()->full_name();
  }
  return field->type_name();
}

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

std::string Owner(const pb::FieldDescriptor* field) {
  if (field->is_extension()) return "extension of " + Quoted(field->containing_type()->full_name());
  return "message " + Quoted(field->containing_type()->name());
}

std::string FieldLabel(const pb::FieldDescriptor* field) {
  return "Field " + Quoted(std::to_string(field->number())) + " on " + Owner(field);
}

// An enum replacing another stays compatible when it has the same short name and keeps every
// value number of the old one (buf's rule: a moved or re-packaged enum with a superset of values).
bool EnumReplacementCompatible(const pb::EnumDescriptor* before, const pb::EnumDescriptor* now) {
  if (before->name() != now->name()) return false;
  for (int i = 0; i < before->value_count(); ++i) {
    if (now->FindValueByNumber(before->value(i)->number()) == nullptr) return false;
  }
  return true;
}

// Where a field's type is written: the type name for messages and enums, the keyword otherwise.
std::vector<int> TypePath(const pb::FieldDescriptor* field) {
  return Sub(PathOf(field), {IsNamed(field) ? tag::kFieldTypeName : tag::kFieldType});
}

// The three type rules for one pair of types. `at` is the field findings point at (for map keys
// and values, the map field itself).
void CompareTypes(const pb::FieldDescriptor* before, const pb::FieldDescriptor* now,
                  const pb::FieldDescriptor* at, FindingSink* sink) {
  if (before->is_map() && now->is_map()) {
    // A map's entry message is named after the field, so compare what it holds, not its name.
    CompareTypes(before->message_type()->map_key(), now->message_type()->map_key(), at, sink);
    CompareTypes(before->message_type()->map_value(), now->message_type()->map_value(), at, sink);
    return;
  }
  // A map is a repeated field of its entry message: spelled out as that same message, only the
  // cardinality changes (CompareCardinality reports it), as in buf.
  if (before->is_map() != now->is_map() && before->type() == now->type() &&
      before->message_type()->full_name() == now->message_type()->full_name()) {
    return;
  }
  std::string was = TypeText(before), is = TypeText(now);
  if (was == is && before->type() == now->type()) return;
  std::string message =
      FieldLabel(at) + " changed type from " + Quoted(was) + " to " + Quoted(is) + ".";
  sink->Add(Rule::kFieldSameType, at->file(), TypePath(at), message);

  bool same_kind = before->type() == now->type();
  bool named_change = same_kind && was != is;
  auto named_compatible = [&] {
    if (before->type() == Type::TYPE_ENUM)
      return EnumReplacementCompatible(before->enum_type(), now->enum_type());
    return false;  // another message type: nothing says its fields line up
  };
  if (sink->Enabled(Rule::kFieldWireCompatibleType)) {
    bool ok = WireGroup(before->type()) == WireGroup(now->type())
                  ? (!named_change || named_compatible())
                  : before->type() == Type::TYPE_STRING && now->type() == Type::TYPE_BYTES;
    if (!ok) {
      std::string why =
          before->type() == Type::TYPE_BYTES && now->type() == Type::TYPE_STRING
              ? " bytes need not be valid UTF-8, so old data may not parse as a string."
              : " The wire encodings differ.";
      sink->Add(Rule::kFieldWireCompatibleType, at->file(), TypePath(at), message + why);
    }
  }
  if (sink->Enabled(Rule::kFieldWireJsonCompatibleType)) {
    bool ok = WireJsonGroup(before->type()) == WireJsonGroup(now->type()) &&
              (!named_change || named_compatible());
    if (!ok) {
      sink->Add(Rule::kFieldWireJsonCompatibleType, at->file(), TypePath(at),
                message + " The wire or JSON encodings differ.");
    }
  }
}

enum class Cardinality { kExplicit, kImplicit, kRequired, kRepeated, kMap };

Cardinality CardinalityOf(const pb::FieldDescriptor* field) {
  if (field->is_map()) return Cardinality::kMap;
  if (field->is_repeated()) return Cardinality::kRepeated;
  if (field->is_required()) return Cardinality::kRequired;
  // Extensions always have explicit presence, proto3 ones too (libprotobuf says implicit).
  return field->is_extension() || field->has_presence() ? Cardinality::kExplicit
                                                        : Cardinality::kImplicit;
}

const char* CardinalityName(Cardinality c) {
  switch (c) {
    case Cardinality::kExplicit:
      return "optional with explicit presence";
    case Cardinality::kImplicit:
      return "optional with implicit presence";
    case Cardinality::kRequired:
      return "required";
    case Cardinality::kRepeated:
      return "repeated";
    case Cardinality::kMap:
      return "map";
  }
  return "";
}

// Singular fields read each other whatever their presence; required is its own group (a reader
// rejects a message without it); repeated and map share an encoding but not a JSON form.
int WireCardinalityGroup(Cardinality c, bool json) {
  switch (c) {
    case Cardinality::kExplicit:
    case Cardinality::kImplicit:
      return 1;
    case Cardinality::kRequired:
      return 2;
    case Cardinality::kRepeated:
      return 3;
    case Cardinality::kMap:
      return json ? 4 : 3;
  }
  return 0;
}

void CompareCardinality(const pb::FieldDescriptor* before, const pb::FieldDescriptor* now,
                        FindingSink* sink) {
  Cardinality was = CardinalityOf(before), is = CardinalityOf(now);
  if (was == is) return;
  std::string message = FieldLabel(now) + " changed cardinality from " +
                        Quoted(CardinalityName(was)) + " to " + Quoted(CardinalityName(is)) + ".";
  std::vector<int> path = Sub(PathOf(now), {tag::kFieldLabel});
  sink->Add(Rule::kFieldSameCardinality, now->file(), path, message);
  if (WireCardinalityGroup(was, false) != WireCardinalityGroup(is, false)) {
    sink->Add(Rule::kFieldWireCompatibleCardinality, now->file(), path, message);
  }
  if (WireCardinalityGroup(was, true) != WireCardinalityGroup(is, true)) {
    sink->Add(Rule::kFieldWireJsonCompatibleCardinality, now->file(), path, message);
  }
}

void CompareOneof(const pb::FieldDescriptor* before, const pb::FieldDescriptor* now,
                  FindingSink* sink) {
  const pb::OneofDescriptor* was = before->real_containing_oneof();
  const pb::OneofDescriptor* is = now->real_containing_oneof();
  if (was == nullptr && is == nullptr) return;
  std::string message;
  if (was != nullptr && is != nullptr) {
    if (was->name() == is->name()) return;
    message = FieldLabel(now) + " moved from oneof " + Quoted(was->name()) + " to oneof " +
              Quoted(is->name()) + ".";
  } else if (was != nullptr) {
    message = FieldLabel(now) + " moved out of oneof " + Quoted(was->name()) + ".";
  } else {
    message = FieldLabel(now) + " moved into oneof " + Quoted(is->name()) + ".";
  }
  sink->Add(Rule::kFieldSameOneof, now->file(), PathOf(now), message);
}

bool IsInteger(pb::FieldDescriptor::CppType type) {
  using C = pb::FieldDescriptor::CppType;
  return type == C::CPPTYPE_INT32 || type == C::CPPTYPE_INT64 || type == C::CPPTYPE_UINT32 ||
         type == C::CPPTYPE_UINT64;
}

std::string DefaultText(const pb::FieldDescriptor* field) {
  using C = pb::FieldDescriptor::CppType;
  std::ostringstream out;
  out.precision(17);
  switch (field->cpp_type()) {
    case C::CPPTYPE_INT32:
      out << field->default_value_int32();
      break;
    case C::CPPTYPE_INT64:
      out << field->default_value_int64();
      break;
    case C::CPPTYPE_UINT32:
      out << field->default_value_uint32();
      break;
    case C::CPPTYPE_UINT64:
      out << field->default_value_uint64();
      break;
    case C::CPPTYPE_DOUBLE:
      out << field->default_value_double();
      break;
    case C::CPPTYPE_FLOAT:
      out << field->default_value_float();
      break;
    case C::CPPTYPE_BOOL:
      out << (field->default_value_bool() ? "true" : "false");
      break;
    // By number: an enum replaced by a compatible one has other names for the same values.
    case C::CPPTYPE_ENUM:
      out << (field->default_value_enum() ? field->default_value_enum()->number() : 0);
      break;
    case C::CPPTYPE_STRING:
      out << field->default_value_string();
      break;
    case C::CPPTYPE_MESSAGE:
      break;
  }
  return out.str();
}

void CompareDefault(const pb::FieldDescriptor* before, const pb::FieldDescriptor* now,
                    FindingSink* sink) {
  if (before->is_repeated() || now->is_repeated()) return;
  bool comparable = before->cpp_type() == now->cpp_type() ||
                    (IsInteger(before->cpp_type()) && IsInteger(now->cpp_type()));
  if (!comparable || before->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) return;
  std::string was = DefaultText(before), is = DefaultText(now);
  if (was == is) return;
  sink->Add(
      Rule::kFieldSameDefault, now->file(), Sub(PathOf(now), {tag::kFieldDefault}),
      FieldLabel(now) + " changed default value from " + Quoted(was) + " to " + Quoted(is) + ".");
}

bool IsStringOrBytes(const pb::FieldDescriptor* field) {
  return field->type() == Type::TYPE_STRING || field->type() == Type::TYPE_BYTES;
}

// Option ctype: STRING (the default), CORD or STRING_PIECE. Only STRING_PIECE -> STRING is safe:
// a string_view-like accessor can be served from a std::string, not the other way round.
void CompareCppStringType(const pb::FieldDescriptor* before, const pb::FieldDescriptor* now,
                          FindingSink* sink) {
  if (!IsStringOrBytes(before) || !IsStringOrBytes(now)) return;
  auto was = before->options().ctype(), is = now->options().ctype();
  if (was == is || (was == pb::FieldOptions::STRING_PIECE && is == pb::FieldOptions::STRING)) {
    return;
  }
  std::vector<int> path = now->options().has_ctype()
                              ? Sub(PathOf(now), {tag::kFieldOptions, tag::kFieldOptionCtype})
                              : PathOf(now);
  sink->Add(Rule::kFieldSameCppStringType, now->file(), path,
            FieldLabel(now) + " changed C++ string type from " +
                Quoted(pb::FieldOptions::CType_Name(was)) + " to " +
                Quoted(pb::FieldOptions::CType_Name(is)) + ".");
}

// Without editions a string field's UTF-8 validation follows its file's syntax: proto3 verifies,
// proto2 does not (so does a message's JSON support: ALLOW in proto3, LEGACY_BEST_EFFORT in
// proto2). Java also verifies proto2 strings when the file sets java_string_check_utf8.
bool VerifiesUtf8(const pb::FieldDescriptor* field) {
  return field->file()->syntax() == pb::FileDescriptor::SYNTAX_PROTO3;
}

bool JavaVerifiesUtf8(const pb::FieldDescriptor* field) {
  return VerifiesUtf8(field) || field->file()->options().java_string_check_utf8();
}

const char* Verification(bool verify, const char* otherwise) {
  return verify ? "VERIFY" : otherwise;
}

// The UTF-8 rules for one pair of string fields; `at` is the field findings point at and `what`
// names the part ("" for the field, " (map key)" or " (map value)": a map<string, string> breaks
// twice, as in buf).
void CompareUtf8Validation(const pb::FieldDescriptor* before, const pb::FieldDescriptor* now,
                           const pb::FieldDescriptor* at, const char* what, FindingSink* sink) {
  if (before->type() != Type::TYPE_STRING || now->type() != Type::TYPE_STRING) return;
  if (VerifiesUtf8(before) != VerifiesUtf8(now)) {
    sink->Add(Rule::kFieldSameUtf8Validation, at->file(), PathOf(at),
              FieldLabel(at) + what + " changed UTF8 validation from " +
                  Verification(VerifiesUtf8(before), "NONE") + " to " +
                  Verification(VerifiesUtf8(now), "NONE") + ".");
  }
  if (JavaVerifiesUtf8(before) != JavaVerifiesUtf8(now)) {
    // buf points at the file option when the new version sets it.
    std::vector<int> path =
        at->file()->options().has_java_string_check_utf8()
            ? std::vector<int>{tag::kFileOptions, tag::kFileOptionJavaStringCheckUtf8}
            : PathOf(at);
    sink->Add(Rule::kFieldSameJavaUtf8Validation, at->file(), path,
              FieldLabel(at) + what + " changed Java string UTF8 validation from " +
                  Verification(JavaVerifiesUtf8(before), "DEFAULT") + " to " +
                  Verification(JavaVerifiesUtf8(now), "DEFAULT") + ".");
  }
}

}  // namespace

void CompareFields(const pb::FieldDescriptor* before, const pb::FieldDescriptor* now,
                   FindingSink* sink) {
  // An extension's name is its full name: moving it into a message renames it.
  const std::string& was_named = before->is_extension() ? before->full_name() : before->name();
  const std::string& is_named = now->is_extension() ? now->full_name() : now->name();
  if (was_named != is_named) {
    sink->Add(Rule::kFieldSameName, now->file(), Sub(PathOf(now), {tag::kName}),
              FieldLabel(now) + " changed name from " + Quoted(was_named) + " to " +
                  Quoted(is_named) + ".");
  }
  if (!now->is_extension() && before->json_name() != now->json_name()) {
    // As buf: at `json_name = ...` when the new version sets one (its first recorded location;
    // the second is the value alone), else at the field.
    std::vector<int> path =
        now->has_json_name() ? Sub(PathOf(now), {tag::kFieldJsonName}) : PathOf(now);
    sink->AddAtFirstLocation(Rule::kFieldSameJsonName, now->file(), path,
                             FieldLabel(now) + " changed JSON name from " +
                                 Quoted(before->json_name()) + " to " + Quoted(now->json_name()) +
                                 ".");
  }
  CompareTypes(before, now, now, sink);
  CompareCardinality(before, now, sink);
  CompareOneof(before, now, sink);
  CompareCppStringType(before, now, sink);
  if (before->is_map() && now->is_map()) {
    // A map's entry message loses JSON support with the message holding it; buf reports the entry
    // too, at its map field.
    if (VerifiesUtf8(before) && !VerifiesUtf8(now)) {
      sink->Add(Rule::kMessageSameJsonFormat, now->file(), PathOf(now),
                "Message " + Quoted(now->message_type()->name()) +
                    " JSON format support changed from ALLOW to LEGACY_BEST_EFFORT (moved from a "
                    "proto3 to a proto2 file).");
    }
    CompareUtf8Validation(before->message_type()->map_key(), now->message_type()->map_key(), now,
                          " (map key)", sink);
    CompareUtf8Validation(before->message_type()->map_value(), now->message_type()->map_value(),
                          now, " (map value)", sink);
  } else {
    CompareUtf8Validation(before, now, now, "", sink);
  }
  if (before->options().jstype() != now->options().jstype()) {
    sink->Add(Rule::kFieldSameJstype, now->file(), Sub(PathOf(now), {tag::kFieldOptions}),
              FieldLabel(now) + " changed option \"jstype\" from " +
                  Quoted(pb::FieldOptions::JSType_Name(before->options().jstype())) + " to " +
                  Quoted(pb::FieldOptions::JSType_Name(now->options().jstype())) + ".");
  }
  if (sink->Enabled(Rule::kFieldSameDefault)) CompareDefault(before, now, sink);
}

}  // namespace spoke::check
