// The metrics registry (remote/metrics.h): the text format 0.0.4 it renders, histograms'
// cumulative buckets, gauges read at scrape time, exact counts under concurrent updates; and the
// route names (http_server.h RouteName) that label requests.
#include "metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "http_server.h"

namespace spoke {
namespace {

TEST(MetricsRegistry, RendersCountersWithHelpTypeAndEscapedLabels) {
  MetricsRegistry registry;
  CounterFamily* requests = registry.AddCounter("x_total", "Requests\nby route", {"route"});
  requests->Add({"/a\"b\\c"}, 2);
  requests->Add({"/a\"b\\c"});
  EXPECT_EQ(registry.Render(),
            "# HELP x_total Requests\\nby route\n"
            "# TYPE x_total counter\n"
            "x_total{route=\"/a\\\"b\\\\c\"} 3\n");
}

TEST(MetricsRegistry, HistogramBucketsAreCumulativeAndEndInACountEqualToInf) {
  MetricsRegistry registry;
  HistogramFamily* latency = registry.AddHistogram("d_seconds", "Latency", {}, {0.1, 1});
  for (double v : {0.05, 0.1, 0.5, 2.0}) latency->Observe({}, v);
  EXPECT_EQ(registry.Render(),
            "# HELP d_seconds Latency\n"
            "# TYPE d_seconds histogram\n"
            "d_seconds_bucket{le=\"0.1\"} 2\n"
            "d_seconds_bucket{le=\"1\"} 3\n"
            "d_seconds_bucket{le=\"+Inf\"} 4\n"
            "d_seconds_sum 2.65\n"
            "d_seconds_count 4\n");
}

TEST(MetricsRegistry, GaugeCallbacksAreReadAtScrapeTimeUnderOneHeader) {
  MetricsRegistry registry;
  double depth = 1;
  registry.AddGaugeCallback("q", "Depth", {{"queue", "a"}}, [&depth] { return depth; });
  registry.AddGaugeCallback("q", "Depth", {{"queue", "b"}}, [] { return 0.5; });
  depth = 7;
  EXPECT_EQ(registry.Render(),
            "# HELP q Depth\n# TYPE q gauge\nq{queue=\"a\"} 7\nq{queue=\"b\"} 0.5\n");
}

TEST(MetricsRegistry, ConcurrentUpdatesAreAllCounted) {
  MetricsRegistry registry;
  CounterFamily* counter = registry.AddCounter("c_total", "C", {"thread"});
  HistogramFamily* histogram = registry.AddHistogram("h", "H", {});
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        counter->Add({std::to_string(t % 2)});
        histogram->Observe({}, 0.002);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::string text = registry.Render();
  EXPECT_NE(text.find("c_total{thread=\"0\"} 40000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("c_total{thread=\"1\"} 40000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_count 80000\n"), std::string::npos) << text;
}

TEST(RouteName, NamesEachGroupAfterThePathSegmentBeforeIt) {
  EXPECT_EQ(http::RouteName(
                R"(/modules/([a-z0-9][a-z0-9_/-]*)/versions/(v[0-9][^/]*|latest)/files/(.+))"),
            "/modules/{name}/versions/{version}/files/{path}");
  EXPECT_EQ(http::RouteName(R"(/modules/([a-z]+)/versions/(v[^/]*)/download/([a-z-]+))"),
            "/modules/{name}/versions/{version}/download/{language}");
  EXPECT_EQ(http::RouteName("/health/live"), "/health/live");
  EXPECT_EQ(http::RouteName(R"(/odd/(x(y)z))"), "/odd/{param}");
  EXPECT_EQ(http::RouteName(R"(/a\.b/([)]+))"), "/a.b/{param}");
}

}  // namespace
}  // namespace spoke
