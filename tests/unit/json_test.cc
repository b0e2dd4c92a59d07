// Json: strict RFC 8259 parsing with byte offsets in errors, and deterministic dumping.
#include "spoke/json.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace spoke {
namespace {

Json MustParse(const std::string& text) {
  auto parsed = Json::Parse(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status().ToString();
  return parsed.ok() ? *parsed : Json();
}

// The error a parse of `text` gives; fails the test when it parses.
Status ParseError(const std::string& text) {
  auto parsed = Json::Parse(text);
  EXPECT_FALSE(parsed.ok()) << "parsed but should not have: " << text;
  return parsed.ok() ? Status::Ok() : parsed.status();
}

TEST(JsonParse, CompactDocumentsRoundTripByteForByte) {
  for (const std::string& text : std::vector<std::string>{
           R"(null)",
           R"(true)",
           R"(false)",
           R"(0)",
           R"(-17)",
           R"(1.5)",
           R"("")",
           R"("text")",
           R"([])",
           R"({})",
           R"([1,"two",null,true,{"k":[false]}])",
           R"({"z":1,"a":{"y":[],"b":{}},"m":"x"})",
       }) {
    EXPECT_EQ(MustParse(text).Dump(), text);
  }
}

TEST(JsonParse, WhitespaceIsAcceptedAndDroppedByCompactDump) {
  EXPECT_EQ(MustParse(" \t\r\n{ \"a\" : [ 1 , 2 ] }\n").Dump(), R"({"a":[1,2]})");
}

TEST(JsonDump, IndentedOutputParsesBackToTheSameValue) {
  Json value =
      MustParse(R"({"name":"user","files":[{"path":"a.proto","size":3}],"empty":[],"o":{}})");
  std::string indented = value.Dump(2);
  EXPECT_EQ(indented,
            "{\n"
            "  \"name\": \"user\",\n"
            "  \"files\": [\n"
            "    {\n"
            "      \"path\": \"a.proto\",\n"
            "      \"size\": 3\n"
            "    }\n"
            "  ],\n"
            "  \"empty\": [],\n"
            "  \"o\": {}\n"
            "}");
  EXPECT_EQ(MustParse(indented).Dump(), value.Dump());
}

TEST(JsonParse, SimpleEscapesDecodeAndReencode) {
  Json value = MustParse(R"("q\" b\\ s\/ \b\f\n\r\t")");
  EXPECT_EQ(value.as_string(), "q\" b\\ s/ \b\f\n\r\t");
  // "\/" needs no escape on the way out; the others come back as they went in.
  EXPECT_EQ(value.Dump(), R"("q\" b\\ s/ \b\f\n\r\t")");
}

TEST(JsonParse, UnicodeEscapesDecodeToUtf8) {
  EXPECT_EQ(MustParse(R"("\u0041")").as_string(), "A");
  EXPECT_EQ(MustParse(R"("\u00e9")").as_string(), "\xC3\xA9");      // é, two bytes
  EXPECT_EQ(MustParse(R"("\u20AC")").as_string(), "\xE2\x82\xAC");  // €, three bytes, upper hex
  EXPECT_EQ(MustParse(R"("\u0000")").as_string(), std::string(1, '\0'));
}

TEST(JsonParse, SurrogatePairsDecodeToOneFourByteCharacter) {
  // U+1F600 (grinning face) is D83D DE00 in UTF-16.
  EXPECT_EQ(MustParse(R"("\ud83d\ude00")").as_string(), "\xF0\x9F\x98\x80");
  // U+10FFFF, the highest code point, is DBFF DFFF.
  EXPECT_EQ(MustParse(R"("\uDBFF\uDFFF")").as_string(), "\xF4\x8F\xBF\xBF");
  // U+10000, the lowest, is D800 DC00.
  EXPECT_EQ(MustParse(R"("\ud800\udc00")").as_string(), "\xF0\x90\x80\x80");
}

TEST(JsonParse, UnpairedOrMalformedSurrogatesAreRefused) {
  for (const std::string& text :
       std::vector<std::string>{R"("\ud83d")", R"("\ud83dx")", R"("\ud83d\u0041")", R"("\ude00")",
                                R"("\ud83d\ud83d")"}) {
    Status s = ParseError(text);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << text;
    EXPECT_NE(s.message().find("surrogate"), std::string::npos) << text << ": " << s.message();
  }
}

TEST(JsonParse, MalformedEscapesAreRefused) {
  for (const std::string& text :
       std::vector<std::string>{R"("\x")", R"("\u12")", R"("\u12g4")", R"("\)", R"("\U0041")"}) {
    EXPECT_EQ(ParseError(text).code(), Status::Code::kInvalidArgument) << text;
  }
}

TEST(JsonParse, RawControlCharactersInStringsAreRefused) {
  Status s = ParseError("\"a\nb\"");
  EXPECT_NE(s.message().find("control character"), std::string::npos) << s.message();
  EXPECT_EQ(ParseError(std::string("\"a\0b\"", 5)).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ParseError("\"tab\there\"").code(), Status::Code::kInvalidArgument);
}

TEST(JsonParse, NonAsciiBytesPassThroughUnchanged) {
  std::string text = "\"caf\xC3\xA9 \xE2\x82\xAC\"";
  Json value = MustParse(text);
  EXPECT_EQ(value.as_string(), "caf\xC3\xA9 \xE2\x82\xAC");
  EXPECT_EQ(value.Dump(), text);
}

TEST(JsonParse, BytesThatAreNotUtf8AreRefusedAtTheirOffset) {
  struct Case {
    std::string bad;
    size_t offset_in_bad;  // where the first byte that cannot be UTF-8 is
  };
  for (const Case& c : std::vector<Case>{{"\x80", 0},
                                         {"\xC3", 0},
                                         {"\xC3(", 0},
                                         {"\xC0\xAF", 0},
                                         {"\xE0\x80\xAF", 0},
                                         {"\xED\xA0\x80", 0},
                                         {"\xF4\x90\x80\x80", 0},
                                         {"\xF5\x80\x80\x80", 0},
                                         {"\xFF", 0},
                                         {"caf\xE9", 3},
                                         {"\xC3\xA9\xE2\x82", 2},
                                         {"\xF0\x9F\x98\x80\xF0\x9F\x98", 4}}) {
    const std::string text = "{\"k\": \"ab" + c.bad + "\"}";  // `bad` starts at byte 9
    Status s = ParseError(text);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
    EXPECT_NE(s.message().find("invalid JSON at byte " + std::to_string(9 + c.offset_in_bad) +
                               ": invalid UTF-8"),
              std::string::npos)
        << s.message();
  }
  EXPECT_EQ(ParseError("{\"\xFF\": 1}").code(), Status::Code::kInvalidArgument);  // in a key too
  EXPECT_EQ(ParseError("[1, \xFF]").code(),
            Status::Code::kInvalidArgument);  // and outside strings, as before
}

TEST(JsonParse, WellFormedUtf8OfEveryLengthIsAccepted) {
  const std::string text =
      "\"\x7F \xC2\x80 \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80 \xEF\xBF\xBF "
      "\xF0\x90\x80\x80 \xF4\x8F\xBF\xBF\"";
  EXPECT_EQ(MustParse(text).Dump(), text);
}

TEST(JsonDump, BytesThatAreNotUtf8AreWrittenAsReplacementCharacters) {
  EXPECT_EQ(Json("a\xFF"
                 "b")
                .Dump(),
            "\"a\xEF\xBF\xBD"
            "b\"");
  EXPECT_EQ(Json("caf\xE9").Dump(), "\"caf\xEF\xBF\xBD\"");
  // One replacement per byte that cannot start or continue a sequence, as Go's encoding/json does.
  EXPECT_EQ(Json("\xE2\x82").Dump(), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(Json("\xED\xA0\x80").Dump(), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  Json object = Json::MakeObject();
  object.Set("k\xC3", "v\xC0\xAF");
  const std::string dumped = object.Dump(2);
  EXPECT_EQ(dumped, "{\n  \"k\xEF\xBF\xBD\": \"v\xEF\xBF\xBD\xEF\xBF\xBD\"\n}");
  // What is written always parses back.
  EXPECT_TRUE(Json::Parse(dumped).ok());
}

TEST(JsonDump, ControlCharactersAreWrittenAsUnicodeEscapesAndParseBack) {
  std::string raw = std::string("a\x01") + '\0' + "\x1f" + "z";
  std::string dumped = Json(raw).Dump();
  EXPECT_EQ(dumped, "\"a\\u0001\\u0000\\u001fz\"");
  EXPECT_EQ(MustParse(dumped).as_string(), raw);
}

TEST(JsonParse, NestingUpTo64LevelsIsAccepted) {
  std::string text = std::string(64, '[') + std::string(64, ']');
  EXPECT_EQ(MustParse(text).Dump(), text);
  std::string objects;
  for (int i = 0; i < 64; ++i) objects += "{\"k\":";
  objects += "1" + std::string(64, '}');
  EXPECT_EQ(MustParse(objects).Dump(), objects);
}

TEST(JsonParse, DeepNestingIsRefusedWithoutExhaustingTheStack) {
  for (int depth : {100, 100000}) {
    std::string text = std::string(depth, '[') + std::string(depth, ']');
    Status s = ParseError(text);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
    EXPECT_NE(s.message().find("nesting too deep"), std::string::npos) << s.message();
  }
  std::string objects;
  for (int i = 0; i < 1000; ++i) objects += "{\"k\":";
  EXPECT_NE(ParseError(objects).message().find("nesting too deep"), std::string::npos);
}

TEST(JsonParse, TrailingGarbageIsRefused) {
  for (const std::string& text :
       std::vector<std::string>{"{} x", "1 2", "[1]]", "nullx", "\"a\"\"b\""}) {
    EXPECT_EQ(ParseError(text).code(), Status::Code::kInvalidArgument) << text;
  }
  Status s = ParseError("{\"a\":1} ,");
  EXPECT_NE(s.message().find("trailing"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("byte 8"), std::string::npos) << s.message();
}

TEST(JsonParse, TrailingNulByteIsRefused) {
  EXPECT_EQ(ParseError(std::string("{}\0", 3)).code(), Status::Code::kInvalidArgument);
}

TEST(JsonParse, ErrorMessagesCarryTheByteOffsetOfTheFirstError) {
  struct Case {
    std::string text;
    size_t offset;
  };
  for (const Case& c : {
           Case{"[1,]", 3},               // a value was expected where ']' is
           Case{"{\"a\":tru}", 5},        // the literal starts at 5
           Case{"{\"a\" 1}", 5},          // ':' expected
           Case{"[1 2]", 3},              // ',' or ']' expected at the '2'
           Case{"{\"a\":1 \"b\":2}", 7},  // ',' or '}' expected at the second key
           Case{"{1:2}", 1},              // keys must be strings
           Case{"", 0},                   // nothing at all
           Case{"   ", 3},                // only whitespace
           Case{"[\"abc", 5},             // unterminated string: end of input
           Case{"{\"k\":\"v\"} }", 10},   // trailing
       }) {
    Status s = ParseError(c.text);
    std::string expected = "invalid JSON at byte " + std::to_string(c.offset) + ":";
    EXPECT_NE(s.message().find(expected), std::string::npos)
        << "input: " << c.text << "\nmessage: " << s.message();
  }
}

TEST(JsonParse, InvalidNumbersAreRefused) {
  for (const std::string& text : std::vector<std::string>{
           "01", "-", "+1", ".5", "1.", "1e", "1e+", "-x", "0x10", "NaN", "Infinity", "1.2.3"}) {
    EXPECT_FALSE(Json::Parse(text).ok()) << text;
  }
}

TEST(JsonParse, InvalidStructuresAreRefused) {
  for (const std::string& text :
       std::vector<std::string>{"[", "{", "[1,", "{\"a\"", "{\"a\":", "{\"a\":1,}", "[,1]", "{,}",
                                "tru", "nul", "'single'", "[1;2]"}) {
    EXPECT_FALSE(Json::Parse(text).ok()) << text;
  }
}

TEST(JsonObject, KeysKeepTheirInsertionOrder) {
  Json parsed = MustParse(R"({"zeta":1,"alpha":2,"mid":3})");
  ASSERT_EQ(parsed.as_object().size(), 3u);
  EXPECT_EQ(parsed.as_object()[0].first, "zeta");
  EXPECT_EQ(parsed.as_object()[1].first, "alpha");
  EXPECT_EQ(parsed.as_object()[2].first, "mid");

  Json built = Json::MakeObject();
  built.Set("b", 1);
  built.Set("a", 2);
  built.Set("c", 3);
  EXPECT_EQ(built.Dump(), R"({"b":1,"a":2,"c":3})");
}

TEST(JsonObject, SettingAnExistingKeyReplacesItsValueInPlace) {
  Json object = Json::MakeObject();
  object.Set("first", 1);
  object.Set("second", 2);
  object.Set("first", "replaced");
  EXPECT_EQ(object.Dump(), R"({"first":"replaced","second":2})");
}

TEST(JsonObject, DuplicateKeysInInputKeepTheFirstPositionAndTheLastValue) {
  EXPECT_EQ(MustParse(R"({"a":1,"b":2,"a":3})").Dump(), R"({"a":3,"b":2})");
}

TEST(JsonObject, GetReturnsNullForMissingKeysAndNonObjects) {
  Json object = MustParse(R"({"name":"user","n":5})");
  ASSERT_NE(object.Get("name"), nullptr);
  EXPECT_EQ(object.Get("name")->as_string(), "user");
  EXPECT_EQ(object.Get("missing"), nullptr);
  EXPECT_EQ(MustParse("[1]").Get("name"), nullptr);
  EXPECT_EQ(object.GetString("name"), "user");
  EXPECT_EQ(object.GetString("n"), "");  // present but not a string
  EXPECT_EQ(object.GetString("missing"), "");
}

TEST(JsonValue, AccessorsOfTheWrongTypeReturnDefaults) {
  Json s("text");
  EXPECT_FALSE(s.as_bool());
  EXPECT_EQ(s.as_int(), 0);
  EXPECT_EQ(s.as_double(), 0.0);
  EXPECT_TRUE(s.as_array().empty());
  EXPECT_TRUE(s.as_object().empty());
  EXPECT_EQ(Json(5).as_string(), "");
  EXPECT_TRUE(Json().is_null());
  EXPECT_TRUE(Json(nullptr).is_null());
}

TEST(JsonNumbers, IntegersParseAsExactIntegers) {
  Json n = MustParse("42");
  ASSERT_TRUE(n.is_number());
  EXPECT_EQ(n.as_int(), 42);
  EXPECT_EQ(n.as_double(), 42.0);
  EXPECT_EQ(n.Dump(), "42");
  EXPECT_EQ(MustParse("-7").as_int(), -7);
  EXPECT_EQ(MustParse("0").as_int(), 0);
  EXPECT_EQ(MustParse("-0").as_int(), 0);
}

TEST(JsonNumbers, IntegersBeyondDoublePrecisionKeepEveryDigit) {
  // 2^53 + 1 cannot be represented as a double.
  Json n = MustParse("9007199254740993");
  EXPECT_EQ(n.as_int(), int64_t{9007199254740993});
  EXPECT_EQ(n.Dump(), "9007199254740993");
}

TEST(JsonNumbers, TheFullInt64RangeParsesExactly) {
  for (int64_t value : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(),
                        int64_t{1234567890123456789}, int64_t{-1234567890123456789}}) {
    std::string text = std::to_string(value);
    Json n = MustParse(text);
    EXPECT_EQ(n.as_int(), value) << text;
    EXPECT_EQ(n.Dump(), text);
  }
}

TEST(JsonNumbers, IntegersBeyondInt64FallBackToDoubles) {
  Json n = MustParse("9223372036854775808");  // 2^63
  ASSERT_TRUE(n.is_number());
  EXPECT_EQ(n.as_double(), 9223372036854775808.0);
  EXPECT_EQ(MustParse(n.Dump()).as_double(), 9223372036854775808.0);
  EXPECT_EQ(MustParse("-99999999999999999999").as_double(), -1e20);
}

TEST(JsonNumbers, FractionsAndExponentsParseAsDoubles) {
  Json half = MustParse("1.5");
  EXPECT_EQ(half.as_double(), 1.5);
  EXPECT_EQ(half.Dump(), "1.5");
  EXPECT_EQ(MustParse("-2.25e2").as_double(), -225.0);
  EXPECT_EQ(MustParse("1E-2").as_double(), 0.01);
  EXPECT_EQ(MustParse("0.1").Dump(), "0.10000000000000001");  // %.17g: exact round trip
  EXPECT_EQ(MustParse(MustParse("0.1").Dump()).as_double(), 0.1);
}

TEST(JsonNumbers, NumbersBeyondDoubleRangeAreRefusedAtTheirOffset) {
  // JSON has no infinity: parsed, they would be written back out as null.
  for (const char* number : {"1e999", "-1e999", "1e309", "-17976931348623159e292"}) {
    Status s = ParseError(std::string("[0, ") + number + "]");
    EXPECT_NE(s.message().find("invalid JSON at byte 4: number out of range"), std::string::npos)
        << number << ": " << s.message();
  }
  EXPECT_EQ(MustParse("1e-999").as_double(),
            0.0);  // an underflow rounds to zero and stays a number
}

TEST(JsonNumbers, IntegralDoublesDumpWithoutAFraction) {
  EXPECT_EQ(MustParse("1e3").Dump(), "1000");
  EXPECT_EQ(MustParse("1e3").as_int(), 1000);
  EXPECT_EQ(MustParse("2.0").Dump(), "2");
}

TEST(JsonNumbers, HugeDoublesRoundTrip) {
  Json big = MustParse("1e300");
  EXPECT_EQ(big.as_double(), 1e300);
  EXPECT_EQ(MustParse(big.Dump()).as_double(), 1e300);
  Json tiny = MustParse("-1.25e-300");
  EXPECT_EQ(MustParse(tiny.Dump()).as_double(), -1.25e-300);
}

TEST(JsonNumbers, ConstructedNumbersDumpAsWritten) {
  EXPECT_EQ(Json(int64_t{-5}).Dump(), "-5");
  EXPECT_EQ(Json(uint64_t{12345}).Dump(), "12345");
  EXPECT_EQ(Json(0.25).Dump(), "0.25");
  EXPECT_EQ(Json(std::numeric_limits<double>::infinity()).Dump(), "null");
  EXPECT_EQ(Json(std::numeric_limits<double>::quiet_NaN()).Dump(), "null");
  EXPECT_EQ(Json(std::numeric_limits<double>::quiet_NaN()).as_int(), 0);
}

TEST(JsonArray, PushAppendsInOrder) {
  Json array = Json::MakeArray();
  array.Push(1);
  array.Push("two");
  array.Push(Json::MakeObject());
  EXPECT_EQ(array.Dump(), R"([1,"two",{}])");
  array.mutable_array().pop_back();
  EXPECT_EQ(array.Dump(), R"([1,"two"])");
}

TEST(JsonString, AppendJsonStringQuotesAndEscapes) {
  std::string out = "prefix:";
  AppendJsonString(&out, "a\"b\\c\n");
  EXPECT_EQ(out, "prefix:\"a\\\"b\\\\c\\n\"");
}

}  // namespace
}  // namespace spoke
