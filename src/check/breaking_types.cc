// Breaking-change rules inside messages, enums and services that exist in both versions (matched
// by fully-qualified name wherever they live): deleted fields, oneofs, enum values and RPCs,
// reserved ranges and names, message options, required fields, RPC signatures; and the pairing of
// fields (by number) and extensions (by extendee and number) for breaking_fields.cc.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "check/breaking_rules.h"

namespace spoke::check {
namespace {

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

std::string Joined(const std::set<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + Quoted(name);
  return out;
}

bool IsProto3(const pb::Descriptor* message) {
  return message->file()->syntax() == pb::FileDescriptor::SYNTAX_PROTO3;
}

struct Index {
  std::unordered_map<std::string, const pb::Descriptor*> messages;
  std::unordered_map<std::string, const pb::EnumDescriptor*> enums;
  std::unordered_map<std::string, const pb::ServiceDescriptor*> services;
  std::map<std::pair<std::string, int>, const pb::FieldDescriptor*>
      extensions;  // (extendee, number)
};

void IndexMessage(const pb::Descriptor* message, Index* index) {
  // Map entries are compared through their map field (breaking_fields.cc).
  if (message->options().map_entry()) return;
  index->messages[message->full_name()] = message;
  for (int i = 0; i < message->nested_type_count(); ++i)
    IndexMessage(message->nested_type(i), index);
  for (int i = 0; i < message->enum_type_count(); ++i) {
    index->enums[message->enum_type(i)->full_name()] = message->enum_type(i);
  }
  for (int i = 0; i < message->extension_count(); ++i) {
    const pb::FieldDescriptor* ext = message->extension(i);
    index->extensions[{ext->containing_type()->full_name(), ext->number()}] = ext;
  }
}

Index IndexImage(const SchemaImage& image) {
  Index index;
  for (const pb::FileDescriptor* file : image.files()) {
    for (int i = 0; i < file->message_type_count(); ++i)
      IndexMessage(file->message_type(i), &index);
    for (int i = 0; i < file->enum_type_count(); ++i)
      index.enums[file->enum_type(i)->full_name()] = file->enum_type(i);
    for (int i = 0; i < file->service_count(); ++i)
      index.services[file->service(i)->full_name()] = file->service(i);
    for (int i = 0; i < file->extension_count(); ++i) {
      const pb::FieldDescriptor* ext = file->extension(i);
      index.extensions[{ext->containing_type()->full_name(), ext->number()}] = ext;
    }
  }
  return index;
}

// Half-open ranges [start, end) of numbers, merged; `covered` asks whether one lies inside them.
class Ranges {
 public:
  void Add(int64_t start, int64_t end) { ranges_.push_back({start, end}); }
  bool Covers(int64_t start, int64_t end) {
    Merge();
    for (const auto& [s, e] : ranges_) {
      if (s <= start && end <= e) return true;
    }
    return false;
  }

 private:
  void Merge() {
    if (merged_) return;
    std::sort(ranges_.begin(), ranges_.end());
    std::vector<std::pair<int64_t, int64_t>> out;
    for (const auto& r : ranges_) {
      if (!out.empty() && r.first <= out.back().second) {
        out.back().second = std::max(out.back().second, r.second);
      } else {
        out.push_back(r);
      }
    }
    ranges_ = std::move(out);
    merged_ = true;
  }
  std::vector<std::pair<int64_t, int64_t>> ranges_;
  bool merged_ = false;
};

std::string RangeText(int64_t start, int64_t end_exclusive) {
  if (end_exclusive == start + 1) return std::to_string(start);
  return std::to_string(start) + " to " + std::to_string(end_exclusive - 1);
}

void CompareReservedInMessage(const pb::Descriptor* before, const pb::Descriptor* now,
                              FindingSink* sink) {
  std::string where = "message " + Quoted(now->name());
  if (sink->Enabled(Rule::kReservedMessageNoDelete)) {
    Ranges reserved;
    for (int i = 0; i < now->reserved_range_count(); ++i) {
      reserved.Add(now->reserved_range(i)->start, now->reserved_range(i)->end);
    }
    for (int i = 0; i < before->reserved_range_count(); ++i) {
      const auto* range = before->reserved_range(i);
      if (reserved.Covers(range->start, range->end)) continue;
      sink->Add(Rule::kReservedMessageNoDelete, now->file(), PathOf(now),
                "Previously present reserved range " + Quoted(RangeText(range->start, range->end)) +
                    " on " + where + " was deleted.");
    }
    for (int i = 0; i < before->reserved_name_count(); ++i) {
      if (now->IsReservedName(before->reserved_name(i))) continue;
      sink->Add(Rule::kReservedMessageNoDelete, now->file(), PathOf(now),
                "Previously present reserved name " + Quoted(before->reserved_name(i)) + " on " +
                    where + " was deleted.");
    }
  }
  if (sink->Enabled(Rule::kExtensionMessageNoDelete)) {
    Ranges ranges;
    for (int i = 0; i < now->extension_range_count(); ++i) {
      ranges.Add(now->extension_range(i)->start, now->extension_range(i)->end);
    }
    for (int i = 0; i < before->extension_range_count(); ++i) {
      const auto* range = before->extension_range(i);
      if (ranges.Covers(range->start, range->end)) continue;
      sink->Add(Rule::kExtensionMessageNoDelete, now->file(), PathOf(now),
                "Previously present extension range " +
                    Quoted(RangeText(range->start, range->end)) + " on " + where + " was deleted.");
    }
  }
}

void CompareDeletedField(const pb::FieldDescriptor* field, const pb::Descriptor* now,
                         FindingSink* sink) {
  std::string text = "Previously present field " + Quoted(std::to_string(field->number())) +
                     " with name " + Quoted(field->name()) + " on message " + Quoted(now->name()) +
                     " was deleted";
  const pb::FileDescriptor* file = field->file();
  sink->AddPrevious(Rule::kFieldNoDelete, file, PathOf(field), text + ".", now->file(),
                    PathOf(now));
  if (!now->IsReservedNumber(field->number())) {
    sink->AddPrevious(
        Rule::kFieldNoDeleteUnlessNumberReserved, file, PathOf(field),
        text + " without reserving the number " + Quoted(std::to_string(field->number())) + ".",
        now->file(), PathOf(now));
  }
  if (!now->IsReservedName(field->name())) {
    sink->AddPrevious(Rule::kFieldNoDeleteUnlessNameReserved, file, PathOf(field),
                      text + " without reserving the name " + Quoted(field->name()) + ".",
                      now->file(), PathOf(now));
  }
}

void CompareMessagePair(const pb::Descriptor* before, const pb::Descriptor* now,
                        FindingSink* sink) {
  for (int i = 0; i < before->field_count(); ++i) {
    const pb::FieldDescriptor* was = before->field(i);
    const pb::FieldDescriptor* is = now->FindFieldByNumber(was->number());
    if (is == nullptr) {
      CompareDeletedField(was, now, sink);
    } else {
      CompareFields(was, is, sink);
    }
  }
  for (int i = 0; i < before->real_oneof_decl_count(); ++i) {
    const pb::OneofDescriptor* oneof = before->oneof_decl(i);
    const pb::OneofDescriptor* kept = now->FindOneofByName(oneof->name());
    if (kept != nullptr && !kept->is_synthetic()) continue;
    sink->AddPrevious(Rule::kOneofNoDelete, oneof->file(), PathOf(oneof),
                      "Previously present oneof " + Quoted(oneof->name()) + " on message " +
                          Quoted(now->name()) + " was deleted.",
                      now->file(), PathOf(now));
  }
  CompareReservedInMessage(before, now, sink);
  std::string where = "message " + Quoted(now->name());
  if (IsProto3(before) && !IsProto3(now)) {
    sink->Add(Rule::kMessageSameJsonFormat, now->file(), PathOf(now),
              "Message " + Quoted(now->name()) +
                  " JSON format support changed from ALLOW to LEGACY_BEST_EFFORT (moved from a "
                  "proto3 to a proto2 file).");
  }
  if (before->options().message_set_wire_format() != now->options().message_set_wire_format()) {
    sink->Add(Rule::kMessageSameMessageSetWireFormat, now->file(),
              Sub(PathOf(now), {tag::kMessageOptions}),
              "Option \"message_set_wire_format\" on " + where + " changed to " +
                  (now->options().message_set_wire_format() ? "true." : "false."));
  }
  if (!before->options().no_standard_descriptor_accessor() &&
      now->options().no_standard_descriptor_accessor()) {
    sink->Add(
        Rule::kMessageNoRemoveStandardDescriptorAccessor, now->file(),
        Sub(PathOf(now), {tag::kMessageOptions}),
        "Option \"no_standard_descriptor_accessor\" on " + where + " changed from false to true.");
  }
  if (sink->Enabled(Rule::kMessageSameRequiredFields)) {
    for (int i = 0; i < before->field_count(); ++i) {
      const pb::FieldDescriptor* was = before->field(i);
      const pb::FieldDescriptor* is = now->FindFieldByNumber(was->number());
      if (was->is_required() && (is == nullptr || !is->is_required())) {
        sink->Add(
            Rule::kMessageSameRequiredFields, now->file(), PathOf(now),
            "Required field " + Quoted(std::to_string(was->number())) + " on " + where +
                " is no longer required; readers of the old version reject messages without it.");
      }
    }
    for (int i = 0; i < now->field_count(); ++i) {
      const pb::FieldDescriptor* is = now->field(i);
      const pb::FieldDescriptor* was = before->FindFieldByNumber(is->number());
      if (is->is_required() && (was == nullptr || !was->is_required())) {
        sink->Add(Rule::kMessageSameRequiredFields, now->file(), PathOf(is),
                  "Field " + Quoted(std::to_string(is->number())) + " on " + where +
                      " is newly required; messages written by the old version may lack it.");
      }
    }
  }
}

bool IsClosed(const pb::EnumDescriptor* enum_type) {
  return enum_type->file()->syntax() == pb::FileDescriptor::SYNTAX_PROTO2;
}

// Every name an enum number has, aliases included.
std::map<int, std::set<std::string>> NamesByNumber(const pb::EnumDescriptor* enum_type) {
  std::map<int, std::set<std::string>> names;
  for (int i = 0; i < enum_type->value_count(); ++i)
    names[enum_type->value(i)->number()].insert(enum_type->value(i)->name());
  return names;
}

void CompareEnumPair(const pb::EnumDescriptor* before, const pb::EnumDescriptor* now,
                     FindingSink* sink) {
  std::string where = "enum " + Quoted(now->name());
  if (IsClosed(before) != IsClosed(now)) {
    sink->Add(Rule::kEnumSameType, now->file(), PathOf(now),
              "Enum " + Quoted(now->name()) + " changed from " +
                  (IsClosed(before) ? "closed" : "open") + " to " +
                  (IsClosed(now) ? "closed" : "open") + ".");
  }
  // JSON support is ALLOW in proto3 and LEGACY_BEST_EFFORT in proto2; only losing it breaks.
  if (!IsClosed(before) && IsClosed(now)) {
    sink->Add(Rule::kEnumSameJsonFormat, now->file(), PathOf(now),
              "Enum " + Quoted(now->name()) +
                  " JSON format support changed from ALLOW to LEGACY_BEST_EFFORT (moved from a "
                  "proto3 to a proto2 file).");
  }
  std::map<int, std::set<std::string>> names_before = NamesByNumber(before);
  std::map<int, std::set<std::string>> names_now = NamesByNumber(now);
  for (const auto& [number, names] : names_before) {
    auto kept = names_now.find(number);
    if (kept == names_now.end()) {
      const pb::EnumValueDescriptor* value = before->FindValueByNumber(number);
      std::string text = "Previously present enum value " + Quoted(std::to_string(number)) + " (" +
                         Quoted(value->name()) + ") on " + where + " was deleted";
      sink->AddPrevious(Rule::kEnumValueNoDelete, before->file(), PathOf(value), text + ".",
                        now->file(), PathOf(now));
      if (!now->IsReservedNumber(number)) {
        sink->AddPrevious(
            Rule::kEnumValueNoDeleteUnlessNumberReserved, before->file(), PathOf(value),
            text + " without reserving the number " + Quoted(std::to_string(number)) + ".",
            now->file(), PathOf(now));
      }
      bool names_reserved = true;
      for (const auto& name : names) names_reserved = names_reserved && now->IsReservedName(name);
      if (!names_reserved) {
        sink->AddPrevious(Rule::kEnumValueNoDeleteUnlessNameReserved, before->file(), PathOf(value),
                          text + " without reserving the name " + Quoted(value->name()) + ".",
                          now->file(), PathOf(now));
      }
      continue;
    }
    // Every name the number had must still be there; aliases may be added next to it. A change
    // is reported on every line that now carries the number (each alias), at the number.
    bool kept_all =
        std::includes(kept->second.begin(), kept->second.end(), names.begin(), names.end());
    if (kept_all) continue;
    for (int i = 0; i < now->value_count(); ++i) {
      const pb::EnumValueDescriptor* value = now->value(i);
      if (value->number() != number) continue;
      sink->Add(Rule::kEnumValueSameName, now->file(), Sub(PathOf(value), {tag::kEnumValueNumber}),
                "Enum value " + Quoted(std::to_string(number)) + " on " + where +
                    " changed name from " + Joined(names) + " to " + Joined(kept->second) + ".");
    }
  }
  if (sink->Enabled(Rule::kReservedEnumNoDelete)) {
    Ranges reserved;
    // Enum reserved ranges are inclusive; Ranges takes half-open ones.
    for (int i = 0; i < now->reserved_range_count(); ++i) {
      reserved.Add(now->reserved_range(i)->start, int64_t{now->reserved_range(i)->end} + 1);
    }
    for (int i = 0; i < before->reserved_range_count(); ++i) {
      const auto* range = before->reserved_range(i);
      if (reserved.Covers(range->start, int64_t{range->end} + 1)) continue;
      sink->Add(Rule::kReservedEnumNoDelete, now->file(), PathOf(now),
                "Previously present reserved range " +
                    Quoted(RangeText(range->start, int64_t{range->end} + 1)) + " on " + where +
                    " was deleted.");
    }
    for (int i = 0; i < before->reserved_name_count(); ++i) {
      if (now->IsReservedName(before->reserved_name(i))) continue;
      sink->Add(Rule::kReservedEnumNoDelete, now->file(), PathOf(now),
                "Previously present reserved name " + Quoted(before->reserved_name(i)) + " on " +
                    where + " was deleted.");
    }
  }
}

void CompareServicePair(const pb::ServiceDescriptor* before, const pb::ServiceDescriptor* now,
                        FindingSink* sink) {
  for (int i = 0; i < before->method_count(); ++i) {
    const pb::MethodDescriptor* was = before->method(i);
    const pb::MethodDescriptor* is = now->FindMethodByName(was->name());
    std::string rpc = "RPC " + Quoted(was->name()) + " on service " + Quoted(now->name());
    if (is == nullptr) {
      sink->AddPrevious(Rule::kRpcNoDelete, before->file(), PathOf(was),
                        "Previously present " + rpc + " was deleted.", now->file(), PathOf(now));
      continue;
    }
    if (was->input_type()->full_name() != is->input_type()->full_name()) {
      sink->Add(Rule::kRpcSameRequestType, now->file(), Sub(PathOf(is), {tag::kMethodInput}),
                rpc + " changed request type from " + Quoted(was->input_type()->full_name()) +
                    " to " + Quoted(is->input_type()->full_name()) + ".");
    }
    if (was->output_type()->full_name() != is->output_type()->full_name()) {
      sink->Add(Rule::kRpcSameResponseType, now->file(), Sub(PathOf(is), {tag::kMethodOutput}),
                rpc + " changed response type from " + Quoted(was->output_type()->full_name()) +
                    " to " + Quoted(is->output_type()->full_name()) + ".");
    }
    if (was->client_streaming() != is->client_streaming()) {
      sink->Add(Rule::kRpcSameClientStreaming, now->file(), PathOf(is),
                rpc + (is->client_streaming() ? " changed from client unary to client streaming."
                                              : " changed from client streaming to client unary."));
    }
    if (was->server_streaming() != is->server_streaming()) {
      sink->Add(Rule::kRpcSameServerStreaming, now->file(), PathOf(is),
                rpc + (is->server_streaming() ? " changed from server unary to server streaming."
                                              : " changed from server streaming to server unary."));
    }
    if (was->options().idempotency_level() != is->options().idempotency_level()) {
      sink->Add(
          Rule::kRpcSameIdempotencyLevel, now->file(), Sub(PathOf(is), {tag::kMethodOptions}),
          rpc + " changed option \"idempotency_level\" from " +
              Quoted(pb::MethodOptions::IdempotencyLevel_Name(was->options().idempotency_level())) +
              " to " +
              Quoted(pb::MethodOptions::IdempotencyLevel_Name(is->options().idempotency_level())) +
              ".");
    }
  }
}

}  // namespace

void CompareMessagesEnumsServices(const SchemaImage& previous, const SchemaImage& current,
                                  FindingSink* sink) {
  Index before = IndexImage(previous), now = IndexImage(current);
  for (const auto& [name, message] : before.messages) {
    auto it = now.messages.find(name);
    if (it != now.messages.end()) CompareMessagePair(message, it->second, sink);
  }
  for (const auto& [name, enum_type] : before.enums) {
    auto it = now.enums.find(name);
    if (it != now.enums.end()) CompareEnumPair(enum_type, it->second, sink);
  }
  for (const auto& [name, service] : before.services) {
    auto it = now.services.find(name);
    if (it != now.services.end()) CompareServicePair(service, it->second, sink);
  }
  for (const auto& [key, extension] : before.extensions) {
    auto it = now.extensions.find(key);
    if (it != now.extensions.end()) CompareFields(extension, it->second, sink);
  }
}

}  // namespace spoke::check
