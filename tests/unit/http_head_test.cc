// The server's request-head parser (remote/http_head.h): where a head ends, however it arrives,
// and what a head says once parsed.
#include "http_head.h"

#include <gtest/gtest.h>

#include "http_server.h"

namespace spoke::http {
namespace {

TEST(FindHeadEnd, FindsTheEndWhetherTheHeadArrivesWholeOrByteByByte) {
  const std::string head = "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\nBODY";
  HeadScan whole;
  EXPECT_EQ(FindHeadEnd(head, &whole), head.size() - 4);
  HeadScan scan;
  size_t end = std::string_view::npos;
  for (size_t n = 1; n <= head.size() && end == std::string_view::npos; ++n) {
    end = FindHeadEnd(std::string_view(head).substr(0, n), &scan);
  }
  EXPECT_EQ(end, head.size() - 4);
  EXPECT_EQ(FindHeadEnd(head, &scan), head.size() - 4) << "asking again must find the same end";
}

TEST(FindHeadEnd, AcceptsBareLineFeedsAndWaitsForTheEmptyLine) {
  HeadScan scan;
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\nHost: x\n", &scan), std::string_view::npos);
  HeadScan again;
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\nHost: x\n\n", &again), 24u);
}

TEST(ParseRequestHead, SplitsTargetPathAndQuery) {
  ParsedHead head;
  HeadError error;
  ASSERT_TRUE(ParseRequestHead(
      "GET /modules/a%2Fb?prefix=refs%2Ftags%2F&x=a+b&flag HTTP/1.1\r\nHost: h\r\n\r\n",
      HeadLimits{}, &head, &error))
      << error.message;
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.path, "/modules/a/b");
  EXPECT_EQ(head.params.find("prefix")->second, "refs/tags/");
  EXPECT_EQ(head.params.find("x")->second, "a b");
  EXPECT_EQ(head.params.count("flag"), 1u);
  EXPECT_TRUE(head.keep_alive);
}

TEST(ParseRequestHead, ReadsFraming) {
  ParsedHead head;
  HeadError error;
  ASSERT_TRUE(
      ParseRequestHead("POST /p HTTP/1.1\r\nHost: h\r\ncontent-length: 12\r\nContent-Length: 12\r\n"
                       "Connection: close\r\nExpect: 100-Continue\r\n\r\n",
                       HeadLimits{}, &head, &error))
      << error.message;
  EXPECT_EQ(head.content_length, 12u);
  EXPECT_FALSE(head.chunked);
  EXPECT_FALSE(head.keep_alive);
  EXPECT_TRUE(head.expect_continue);
  ASSERT_TRUE(ParseRequestHead(
      "POST http://registry:8080/p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n",
      HeadLimits{}, &head, &error))
      << error.message;
  EXPECT_TRUE(head.chunked);
  EXPECT_EQ(head.path, "/p");
  ASSERT_TRUE(ParseRequestHead("GET / HTTP/1.0\r\n\r\n", HeadLimits{}, &head, &error))
      << error.message;
  EXPECT_FALSE(head.keep_alive);
}

TEST(ParseRequestHead, BoundsTheTargetAndTheHeaderCount) {
  ParsedHead head;
  HeadError error;
  HeadLimits limits{16, 2};
  EXPECT_FALSE(ParseRequestHead("GET /aaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: h\r\n\r\n", limits,
                                &head, &error));
  EXPECT_EQ(error.status, 414);
  EXPECT_FALSE(
      ParseRequestHead("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", limits, &head, &error));
  EXPECT_EQ(error.status, 431);
}

TEST(PercentDecode, RefusesMalformedEscapesAndNul) {
  std::string out;
  EXPECT_TRUE(PercentDecode("a%41%2f+", false, &out));
  EXPECT_EQ(out, "aA/+");
  EXPECT_TRUE(PercentDecode("a+b", true, &out));
  EXPECT_EQ(out, "a b");
  EXPECT_FALSE(PercentDecode("%4", false, &out));
  EXPECT_FALSE(PercentDecode("%", false, &out));
  EXPECT_FALSE(PercentDecode("%g1", false, &out));
  EXPECT_FALSE(PercentDecode("%00", false, &out));
}

TEST(ConstantTimeEquals, ComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("Bearer abc", "Bearer abc"));
  EXPECT_FALSE(ConstantTimeEquals("Bearer abc", "Bearer abd"));
  EXPECT_FALSE(ConstantTimeEquals("Bearer ab", "Bearer abc"));
  EXPECT_FALSE(ConstantTimeEquals("", "Bearer abc"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace spoke::http
