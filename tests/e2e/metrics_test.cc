// Observability end to end: after known traffic (pushes, reads of a file, 404s, a download made
// twice), GET /metrics (on the API listener and the health one) counts exactly that, in the
// Prometheus text format with cumulative histograms; every request gets one JSON log line on
// stderr with its request id, which every answer echoes; -q logs nothing.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <map>
#include <sstream>

#include "e2e_util.h"
#include "harness.h"
#include "spoke/json.h"

namespace spoke::e2e {
namespace {

const FileSet kV1 = {{"acme/shop/v1/shop.proto",
                      "syntax = \"proto3\";\npackage acme.shop.v1;\n\n"
                      "message Order {\n  string id = 1;\n}\n"}};
// Each adds a message: compatible at every level.
const FileSet kV1_1 = {{"acme/shop/v1/shop.proto",
                        "syntax = \"proto3\";\npackage acme.shop.v1;\n\n"
                        "message Order {\n  string id = 1;\n}\nmessage Gift {}\n"}};
const FileSet kV1_2 = {
    {"acme/shop/v1/shop.proto",
     "syntax = \"proto3\";\npackage acme.shop.v1;\n\n"
     "message Order {\n  string id = 1;\n}\nmessage Gift {}\nmessage Note {}\n"}};

constexpr char kFilesRoute[] = "/modules/{name}/versions/{version}/files/{path}";
constexpr char kVersionsRoute[] = "/modules/{name}/versions";

// One sample of the exposition: name{labels} value.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// A tiny parser of the text format 0.0.4: comment lines must be HELP or TYPE, every other line a
// sample. Records a failure for a line it cannot read.
std::vector<Sample> ParseExposition(const std::string& text) {
  std::vector<Sample> samples;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      EXPECT_TRUE(line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) << line;
      continue;
    }
    Sample sample;
    size_t i = line.find_first_of("{ ");
    if (i == std::string::npos) {
      ADD_FAILURE() << "not a sample: " << line;
      continue;
    }
    sample.name = line.substr(0, i);
    if (line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t eq = line.find("=\"", i);
        if (eq == std::string::npos) break;
        std::string key = line.substr(i, eq - i);
        std::string value;
        size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\' && j + 1 < line.size()) {
            ++j;
            value += line[j] == 'n' ? '\n' : line[j];
          } else {
            value += line[j];
          }
        }
        sample.labels[key] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size() || line[i] != '}') {
        ADD_FAILURE() << "unterminated labels: " << line;
        continue;
      }
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') {
      ADD_FAILURE() << "no value: " << line;
      continue;
    }
    std::string value = line.substr(i + 1);
    sample.value = value == "+Inf" ? HUGE_VAL : std::strtod(value.c_str(), nullptr);
    samples.push_back(std::move(sample));
  }
  return samples;
}

// The value of the one sample named `name` whose labels include `labels`; -1 (with a failure)
// when there is none, or more than one.
double ValueOf(const std::vector<Sample>& samples, const std::string& name,
               const std::map<std::string, std::string>& labels) {
  const Sample* found = nullptr;
  int matches = 0;
  for (const auto& sample : samples) {
    if (sample.name != name) continue;
    bool all = true;
    for (const auto& [key, value] : labels) {
      auto it = sample.labels.find(key);
      all = all && it != sample.labels.end() && it->second == value;
    }
    if (all) {
      found = &sample;
      ++matches;
    }
  }
  EXPECT_EQ(matches, 1) << name;
  return found && matches == 1 ? found->value : -1;
}

class Metrics : public ::testing::Test {
 protected:
  void StartServer(const std::vector<std::string>& extra = {}) {
    server_ = ServerProcess::Start({work_.Sub("storage"), extra, {}});
    ASSERT_TRUE(server_);
    http_ = HttpClient(server_->port());
  }

  int Push(const std::string& version, const FileSet& files) {
    std::string body = UploadBody(version, files).Dump();
    pushed_bytes_ += body.size();
    auto res = http_->Post(std::string("/modules/shop/versions").c_str(), body, "application/json");
    EXPECT_TRUE(res);
    return res ? res->status : 0;
  }

  std::vector<Sample> Scrape(int port) {
    auto client = HttpClient(port);
    auto res = client->Get("/metrics");
    EXPECT_TRUE(res);
    if (!res) return {};
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    return ParseExposition(res->body);
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> http_;
  uint64_t pushed_bytes_ = 0;
};

TEST_F(Metrics, CountExactlyTheTrafficSentInThePrometheusTextFormat) {
  StartServer({"--health-port", "0"});
  ASSERT_EQ(Push("v1.0.0", kV1), 201);
  ASSERT_EQ(Push("v1.1.0", kV1_1), 201);
  ASSERT_EQ(Push("v1.2.0", kV1_2), 201);
  for (int i = 0; i < 4; ++i) {
    auto res = http_->Get("/modules/shop/versions/v1.0.0/files/acme/shop/v1/shop.proto");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
  }
  auto missing = http_->Get("/modules/shop/versions/v9.0.0/files/acme/shop/v1/shop.proto");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto unrouted = http_->Get("/no/such/route");
  ASSERT_TRUE(unrouted);
  EXPECT_EQ(unrouted->status, 404);
  for (int i = 0; i < 2; ++i) {
    auto download = http_->Get("/modules/shop/versions/v1.0.0/download/cpp");
    ASSERT_TRUE(download);
    ASSERT_EQ(download->status, 200) << download->body;
  }

  std::vector<Sample> samples = Scrape(server_->port());
  EXPECT_EQ(ValueOf(samples, "spoke_pushes_total", {{"result", "accepted"}}), 3);
  EXPECT_EQ(ValueOf(samples, "spoke_http_requests_total",
                    {{"route", kVersionsRoute}, {"method", "POST"}, {"status", "201"}}),
            3);
  EXPECT_EQ(ValueOf(samples, "spoke_http_request_bytes_total",
                    {{"route", kVersionsRoute}, {"method", "POST"}}),
            static_cast<double>(pushed_bytes_));
  EXPECT_EQ(ValueOf(samples, "spoke_http_requests_total",
                    {{"route", kFilesRoute}, {"method", "GET"}, {"status", "200"}}),
            4);
  EXPECT_EQ(ValueOf(samples, "spoke_http_requests_total",
                    {{"route", kFilesRoute}, {"method", "GET"}, {"status", "404"}}),
            1);
  EXPECT_EQ(ValueOf(samples, "spoke_http_requests_total",
                    {{"route", "unmatched"}, {"method", "GET"}, {"status", "404"}}),
            1);
  EXPECT_EQ(ValueOf(samples, "spoke_artifact_cache_misses_total", {{"language", "cpp"}}), 1);
  EXPECT_EQ(ValueOf(samples, "spoke_artifact_cache_hits_total", {{"language", "cpp"}}), 1);
  EXPECT_EQ(ValueOf(samples, "spoke_build_info", {}), 1);
  EXPECT_GE(ValueOf(samples, "spoke_http_connections_open", {{"listener", "api"}}), 1);
  // No raw path ever becomes a label value.
  for (const auto& sample : samples) {
    auto route = sample.labels.find("route");
    if (route != sample.labels.end()) {
      EXPECT_EQ(route->second.find("shop.proto"), std::string::npos);
    }
  }

  // Histograms: buckets cumulative, +Inf equal to _count, which counts the requests.
  std::map<std::string, std::vector<const Sample*>> buckets;  // by route and method
  for (const auto& sample : samples) {
    if (sample.name == "spoke_http_request_duration_seconds_bucket")
      buckets[sample.labels.at("route") + " " + sample.labels.at("method")].push_back(&sample);
  }
  ASSERT_FALSE(buckets.empty());
  for (const auto& [series, list] : buckets) {
    for (size_t i = 1; i < list.size(); ++i) {
      EXPECT_LT(std::strtod(list[i - 1]->labels.at("le").c_str(), nullptr),
                list[i]->labels.at("le") == "+Inf"
                    ? HUGE_VAL
                    : std::strtod(list[i]->labels.at("le").c_str(), nullptr))
          << series;
      EXPECT_LE(list[i - 1]->value, list[i]->value) << series;
    }
    EXPECT_EQ(list.back()->labels.at("le"), "+Inf") << series;
    EXPECT_EQ(list.back()->value, ValueOf(samples, "spoke_http_request_duration_seconds_count",
                                          {{"route", list.back()->labels.at("route")},
                                           {"method", list.back()->labels.at("method")}}))
        << series;
  }
  EXPECT_EQ(ValueOf(samples, "spoke_http_request_duration_seconds_count",
                    {{"route", kFilesRoute}, {"method", "GET"}}),
            5);

  // The health listener serves the same registry.
  auto line = server_->process().WaitForLine(Process::Stream::kStdout, "health checks on ");
  ASSERT_TRUE(line);
  const std::string marker = "http://127.0.0.1:";
  int health_port = std::atoi(line->c_str() + line->find(marker) + marker.size());
  std::vector<Sample> from_health = Scrape(health_port);
  EXPECT_EQ(ValueOf(from_health, "spoke_pushes_total", {{"result", "accepted"}}), 3);
}

// spoke-server with its access log on (the harness always passes -q); its port, 0 on failure.
int StartLoggingServer(const std::string& storage, std::unique_ptr<Process>* server) {
  *server = Process::Start({{SPOKE_SERVER_BIN, "-port", "0", "-storage-dir", storage}, {}, ""});
  if (!*server) return 0;
  auto line = (*server)->WaitForLine(Process::Stream::kStdout, "spoke-server: serving ");
  const std::string marker = "http://127.0.0.1:";
  size_t at = line ? line->find(marker) : std::string::npos;
  EXPECT_NE(at, std::string::npos) << (*server)->Stderr();
  return at == std::string::npos ? 0 : std::atoi(line->c_str() + at + marker.size());
}

TEST_F(Metrics, EveryRequestIsLoggedAsOneJsonLineWithTheRequestIdItsAnswerEchoes) {
  std::unique_ptr<Process> server;
  const int port = StartLoggingServer(work_.Sub("storage"), &server);
  ASSERT_GT(port, 0);
  http_ = HttpClient(port);
  ASSERT_EQ(Push("v1.0.0", kV1), 201);
  auto res = http_->Get("/modules/shop/versions/v1.0.0/files/acme/shop/v1/shop.proto",
                        {{"X-Request-Id", "trace-42.a_b"}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("X-Request-Id"), "trace-42.a_b");

  auto logged = server->WaitForLine(Process::Stream::kStderr, "trace-42.a_b");
  ASSERT_TRUE(logged) << server->Stderr();
  Json line = ParseJson(*logged);
  EXPECT_EQ(line.GetString("method"), "GET");
  EXPECT_EQ(line.GetString("route"), kFilesRoute);
  EXPECT_EQ(line.GetString("path"), "/modules/shop/versions/v1.0.0/files/acme/shop/v1/shop.proto");
  EXPECT_EQ(line.GetString("client"), "127.0.0.1");
  EXPECT_EQ(line.GetString("request_id"), "trace-42.a_b");
  ASSERT_TRUE(line.Get("status"));
  EXPECT_EQ(line.Get("status")->as_int(), 200);
  ASSERT_TRUE(line.Get("bytes_in"));
  EXPECT_EQ(line.Get("bytes_in")->as_int(), 0);
  ASSERT_TRUE(line.Get("bytes_out"));
  EXPECT_EQ(line.Get("bytes_out")->as_int(), static_cast<int64_t>(res->body.size()));
  ASSERT_TRUE(line.Get("duration_ms"));
  EXPECT_GE(line.Get("duration_ms")->as_double(), 0);
  // RFC 3339 UTC with milliseconds: 2026-12-06T18:18:01.649Z.
  std::string time = line.GetString("time");
  ASSERT_EQ(time.size(), 24u) << time;
  EXPECT_EQ(time[10], 'T');
  EXPECT_EQ(time[19], '.');
  EXPECT_EQ(time.back(), 'Z');

  // An id we cannot log safely is replaced; an answer without one gets a fresh id too, errors
  // included.
  for (const std::string& bad : {std::string("has space"), std::string(129, 'a'), std::string()}) {
    httplib::Headers headers;
    if (!bad.empty()) headers.emplace("X-Request-Id", bad);
    auto answer = http_->Get("/no/such/route", headers);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 404);
    std::string id = answer->get_header_value("X-Request-Id");
    EXPECT_EQ(id.size(), 16u) << id;
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    EXPECT_TRUE(server->WaitForLine(Process::Stream::kStderr, "\"request_id\":\"" + id + "\""))
        << server->Stderr();
  }
  server->Signal(SIGTERM);
  EXPECT_EQ(server->WaitForExit(), 0);
}

TEST_F(Metrics, QuietServerLogsNoRequestButStillCountsThem) {
  StartServer({"-q"});  // the harness passes -q already; said again for the reader
  auto res = http_->Get("/health/live", {{"X-Request-Id", "quiet-1"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("X-Request-Id"), "quiet-1");
  EXPECT_EQ(ValueOf(Scrape(server_->port()), "spoke_http_requests_total",
                    {{"route", "/health/live"}, {"method", "GET"}, {"status", "200"}}),
            1);
  server_->Stop();
  EXPECT_EQ(server_->process().Stderr().find("quiet-1"), std::string::npos)
      << server_->process().Stderr();
  EXPECT_EQ(server_->process().Stderr().find("\"request_id\""), std::string::npos)
      << server_->process().Stderr();
}

// Default compatibility: a module created without a level gets the server's (WIRE_JSON unless
// --default-compat says otherwise), and a breaking push to it is refused; NONE is a choice.
const FileSet kBreaking = {{"acme/shop/v1/shop.proto",
                            "syntax = \"proto3\";\npackage acme.shop.v1;\n\n"
                            "message Order {\n  int64 id = 1;\n}\n"}};

TEST_F(Metrics, ANewModuleGetsWireJsonAndABreakingPushToItIsRefused) {
  StartServer();
  ASSERT_EQ(Push("v1.0.0", kV1), 201);
  auto module = http_->Get("/modules/shop");
  ASSERT_TRUE(module);
  EXPECT_EQ(ParseJson(module->body).GetString("compatibility"), "WIRE_JSON");
  EXPECT_EQ(Push("v1.1.0", kBreaking), 422);
  auto versions = http_->Get("/modules/shop/versions/v1.1.0");
  ASSERT_TRUE(versions);
  EXPECT_EQ(versions->status, 404);

  // Created through POST /modules without a level: the default too; with NONE: none.
  auto made = http_->Post("/modules", R"({"name": "plain"})", "application/json");
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 201) << made->body;
  EXPECT_EQ(ParseJson(made->body).GetString("compatibility"), "WIRE_JSON");
  made =
      http_->Post("/modules", R"({"name": "loose", "compatibility": "NONE"})", "application/json");
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 201) << made->body;
  EXPECT_EQ(ParseJson(made->body).GetString("compatibility"), "NONE");
}

TEST_F(Metrics, DefaultCompatNoneLetsABreakingPushThrough) {
  StartServer({"--default-compat", "NONE"});
  ASSERT_EQ(Push("v1.0.0", kV1), 201);
  auto module = http_->Get("/modules/shop");
  ASSERT_TRUE(module);
  EXPECT_EQ(ParseJson(module->body).GetString("compatibility"), "NONE");
  EXPECT_EQ(Push("v1.1.0", kBreaking), 201);
}

TEST_F(Metrics, ABadDefaultCompatIsAUsageError) {
  CommandResult run = RunCommand(
      {{SPOKE_SERVER_BIN, "-port", "0", "-storage-dir", work_.Sub("s"), "-default-compat", "LOOSE"},
       {},
       ""});
  EXPECT_EQ(run.exit_code, 2) << run.Describe();
  EXPECT_NE(run.err.find("LOOSE"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace spoke::e2e
