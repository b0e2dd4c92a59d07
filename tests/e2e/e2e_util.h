// Small helpers the e2e tests share: substring checks, JSON parsing that fails the test, and the
// body of a REST version upload.
#ifndef SPOKE_TESTS_E2E_E2E_UTIL_H_
#define SPOKE_TESTS_E2E_E2E_UTIL_H_

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "spoke/json.h"
#include "spoke/manifest.h"

namespace spoke::e2e {

inline bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// `text` parsed; a test failure and an empty object when it is not JSON.
inline Json ParseJson(const std::string& text) {
  auto json = Json::Parse(text);
  EXPECT_TRUE(json.ok()) << text;
  return json.ok() ? *json : Json::MakeObject();
}

// The body of POST /modules/{name}/versions: {"version", "files": [{"path", "content"}...]}, the
// files in the order given (duplicates kept, for the tests that send them).
inline Json UploadBody(const std::string& version,
                       const std::vector<std::pair<std::string, std::string>>& files) {
  Json list = Json::MakeArray();
  for (const auto& [path, content] : files) {
    Json file = Json::MakeObject();
    file.Set("path", path);
    file.Set("content", content);
    list.Push(std::move(file));
  }
  Json body = Json::MakeObject();
  body.Set("version", version);
  body.Set("files", std::move(list));
  return body;
}

inline Json UploadBody(const std::string& version, const FileSet& files) {
  return UploadBody(version,
                    std::vector<std::pair<std::string, std::string>>(files.begin(), files.end()));
}

}  // namespace spoke::e2e

#endif  // SPOKE_TESTS_E2E_E2E_UTIL_H_
