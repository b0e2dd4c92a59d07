// Metrics: the server's counters, gauges and histograms, rendered for GET /metrics in the
// Prometheus text exposition format 0.0.4 (docs/api.md#metrics lists every metric).
//
// Our own small registry rather than a client library: the format is a page of text, and the
// hot path needs only atomics. A family (one metric name, its help and label names) holds one
// series per distinct label values. Finding a series takes the family's shared lock (readers do
// not wait for each other); only the first use of new label values takes it exclusively. Updating
// a series is a relaxed atomic operation. Keep label values bounded (a route's name, never a path).
//
// Thread-safe throughout. Families live as long as the registry; the pointers the Add* calls
// return stay valid until it is destroyed.
#ifndef SPOKE_REMOTE_METRICS_H_
#define SPOKE_REMOTE_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

namespace spoke {

// A value that only goes up (requests served, bytes sent).
class CounterFamily {
 public:
  // REQUIRES: label_values has one value per label name, in order.
  void Add(const std::vector<std::string>& label_values, uint64_t amount = 1);

 private:
  friend class MetricsRegistry;
  struct Series {
    std::atomic<uint64_t> value{0};
  };
  std::string name_, help_;
  std::vector<std::string> label_names_;
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Series>> series_;
  Series& Find(const std::vector<std::string>& label_values);
};

// A value that goes up and down (open connections).
class GaugeFamily {
 public:
  void Set(const std::vector<std::string>& label_values, double value);
  void Add(const std::vector<std::string>& label_values, double amount);

 private:
  friend class MetricsRegistry;
  struct Series {
    std::atomic<double> value{0};
  };
  std::string name_, help_;
  std::vector<std::string> label_names_;
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Series>> series_;
  Series& Find(const std::vector<std::string>& label_values);
};

// Observations counted into fixed buckets (request durations, compile durations).
class HistogramFamily {
 public:
  void Observe(const std::vector<std::string>& label_values, double value);

 private:
  friend class MetricsRegistry;
  struct Series {
    explicit Series(size_t buckets) : counts(buckets + 1) {}
    std::vector<std::atomic<uint64_t>> counts;  // per bucket, not cumulative; the last is +Inf
    std::atomic<double> sum{0};
  };
  std::string name_, help_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;  // ascending upper bounds, +Inf implied
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Series>> series_;
  Series& Find(const std::vector<std::string>& label_values);
};

// Latency buckets in seconds, from 1 ms to 30 s.
const std::vector<double>& DefaultDurationBuckets();

class MetricsRegistry {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  // Each name must be a valid Prometheus metric name, used once. The returned family is owned by
  // the registry.
  CounterFamily* AddCounter(const std::string& name, const std::string& help,
                            std::vector<std::string> label_names);
  GaugeFamily* AddGauge(const std::string& name, const std::string& help,
                        std::vector<std::string> label_names);
  HistogramFamily* AddHistogram(const std::string& name, const std::string& help,
                                std::vector<std::string> label_names,
                                std::vector<double> bounds = DefaultDurationBuckets());
  // A gauge whose value `read` gives at scrape time (a queue's depth, a mirror's lag). Several
  // callbacks may share a name with different labels; the help of the first is used. `read` runs
  // on the scraping thread, without any registry lock held, and must be thread-safe.
  void AddGaugeCallback(const std::string& name, const std::string& help, Labels labels,
                        std::function<double()> read);

  // Every metric in the text exposition format 0.0.4, families in the order they were added.
  std::string Render() const;

 private:
  struct Callback {
    std::string name, help;
    Labels labels;
    std::function<double()> read;
  };
  mutable std::mutex mutex_;  // guards the lists, not the values
  std::vector<std::unique_ptr<CounterFamily>> counters_;
  std::vector<std::unique_ptr<GaugeFamily>> gauges_;
  std::vector<std::unique_ptr<HistogramFamily>> histograms_;
  std::vector<Callback> callbacks_;
  // Families as added, for Render(): one pointer set, or the name of a callback gauge.
  struct Entry {
    const CounterFamily* counter;
    const GaugeFamily* gauge;
    const HistogramFamily* histogram;
    std::string callback_name;
  };
  std::vector<Entry> order_;
};

// The Content-Type of Render()'s text.
inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace spoke

#endif  // SPOKE_REMOTE_METRICS_H_
