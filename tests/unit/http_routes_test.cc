// Finding a request's route (remote/http_server.h): the text a pattern requires is checked before
// its regex runs, and that shortcut must never turn away a path the regex matches.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "http_server.h"

namespace spoke::http {
namespace {

// Each route answers with its own pattern, and the groups it captured.
std::string Answer(Server& server, const std::string& path) {
  Response res = server.AnswerInProcess("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n", "");
  return std::to_string(res.status) + " " + res.body;
}

TEST(HttpRoutes, APatternsRequiredTextNeverHidesAMatch) {
  const std::vector<std::string> patterns = {
      R"(/modules/([a-z0-9][a-z0-9_/-]*)/versions/(v[0-9][^/]*|latest)/files/(.+))",
      R"(/modules/([a-z0-9][a-z0-9_/-]*)/versions/(v[0-9][^/]*|latest))",
      R"(/a\.b/(x+)/c?d)",
      R"(/left|/right)",
      R"(/n\d+/end)",
      R"(/q{2}/z)",
      R"(/opt(ional)?/x)",
      R"(^/anchored$)",
      R"(/class[0-9]+/tail\+)",
      R"(/hex\x2Fslash/\u0041end)",
  };
  Server server(ServerLimits{});
  for (const std::string& pattern : patterns) {
    server.Get(pattern, [pattern](const Request& req, Response& res) {
      std::string body = pattern;
      for (size_t i = 1; i < req.matches.size(); ++i) body += " [" + req.matches[i] + "]";
      res.set_content(body, "text/plain");
    });
  }
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/modules/acme/pay/versions/v1.0.0/files/acme/pay/v1/a.proto",
       "200 " + patterns[0] + " [acme/pay] [v1.0.0] [acme/pay/v1/a.proto]"},
      // A module whose name holds "versions": the greedy group still splits at the last one.
      {"/modules/x/versions/y/versions/latest/files/f.proto",
       "200 " + patterns[0] + " [x/versions/y] [latest] [f.proto]"},
      {"/modules/acme/versions/v2.1.0-rc.1", "200 " + patterns[1] + " [acme] [v2.1.0-rc.1]"},
      {"/a.b/xxx/d", "200 " + patterns[2] + " [xxx]"},
      {"/a.b/x/cd", "200 " + patterns[2] + " [x]"},
      {"/left", "200 " + patterns[3]},
      {"/right", "200 " + patterns[3]},
      {"/n42/end", "200 " + patterns[4]},
      {"/qq/z", "200 " + patterns[5]},
      {"/opt/x", "200 " + patterns[6] + " []"},  // the optional group matched nothing
      {"/optional/x", "200 " + patterns[6] + " [ional]"},
      {"/anchored", "200 " + patterns[7]},
      {"/class7/tail+", "200 " + patterns[8]},
      {"/hex/slash/Aend", "200 " + patterns[9]},
  };
  for (const auto& [path, expected] : cases) EXPECT_EQ(Answer(server, path), expected) << path;
  for (const std::string path :
       {"/a.b/xxx/ccd", "/n/end", "/q/z", "/modules/acme/versions/x1", "/opt/y", "/anchoredx"}) {
    EXPECT_EQ(Answer(server, path).substr(0, 3), "404") << path;
  }
}

}  // namespace
}  // namespace spoke::http
