// The metrics registry (metrics.h) and its rendering in the Prometheus text format 0.0.4.
#include "metrics.h"

#include <charconv>
#include <cmath>

namespace spoke {
namespace {

// Adds to an atomic double without fetch_add, which not every standard library has for doubles.
void AtomicAdd(std::atomic<double>& target, double amount) {
  double old = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(old, old + amount, std::memory_order_relaxed)) {
  }
}

// A sample value as the format writes it: integers without a fraction, +Inf/-Inf/NaN spelled out.
std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // The shortest text that reads back as the same double: "0.0025", not "0.0025000000000000001".
  char text[64];
  auto written = std::to_chars(text, text + sizeof(text), value);
  return std::string(text, written.ptr);
}

// A label value escaped as the format requires: backslash, double quote and line feed.
std::string EscapeLabel(const std::string& value) {
  std::string out;
  for (char ch : value) {
    if (ch == '\\') {
      out += "\\\\";
    } else if (ch == '"') {
      out += "\\\"";
    } else if (ch == '\n') {
      out += "\\n";
    } else {
      out += ch;
    }
  }
  return out;
}

// Help text escaped: backslash and line feed.
std::string EscapeHelp(const std::string& help) {
  std::string out;
  for (char ch : help) {
    if (ch == '\\') {
      out += "\\\\";
    } else if (ch == '\n') {
      out += "\\n";
    } else {
      out += ch;
    }
  }
  return out;
}

// "{a="x",b="y"}" (with `extra` appended, for a histogram's le), or "" without labels.
std::string LabelText(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      const std::string& extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    out += (out.empty() ? "" : ",") + names[i] + "=\"" + EscapeLabel(values[i]) + "\"";
  }
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? "" : "{" + out + "}";
}

void Header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  out += "# HELP " + name + " " + EscapeHelp(help) + "\n";
  out += "# TYPE " + name + " " + type + "\n";
}

// The series for `label_values`, made on first use. Lookups share the lock; only a new series
// takes it exclusively.
template <typename Family, typename Make>
auto& FindSeries(std::shared_mutex& mutex, Family& series,
                 const std::vector<std::string>& label_values, Make make) {
  {
    std::shared_lock lock(mutex);
    auto it = series.find(label_values);
    if (it != series.end()) return *it->second;
  }
  std::unique_lock lock(mutex);
  auto& slot = series[label_values];
  if (!slot) slot = make();
  return *slot;
}

}  // namespace

const std::vector<double>& DefaultDurationBuckets() {
  static const std::vector<double> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                               0.25,  0.5,    1,     2.5,  5,     10,   30};
  return kBuckets;
}

CounterFamily::Series& CounterFamily::Find(const std::vector<std::string>& label_values) {
  return FindSeries(mutex_, series_, label_values, [] { return std::make_unique<Series>(); });
}

void CounterFamily::Add(const std::vector<std::string>& label_values, uint64_t amount) {
  Find(label_values).value.fetch_add(amount, std::memory_order_relaxed);
}

GaugeFamily::Series& GaugeFamily::Find(const std::vector<std::string>& label_values) {
  return FindSeries(mutex_, series_, label_values, [] { return std::make_unique<Series>(); });
}

void GaugeFamily::Set(const std::vector<std::string>& label_values, double value) {
  Find(label_values).value.store(value, std::memory_order_relaxed);
}

void GaugeFamily::Add(const std::vector<std::string>& label_values, double amount) {
  AtomicAdd(Find(label_values).value, amount);
}

HistogramFamily::Series& HistogramFamily::Find(const std::vector<std::string>& label_values) {
  size_t buckets = bounds_.size();
  return FindSeries(mutex_, series_, label_values,
                    [buckets] { return std::make_unique<Series>(buckets); });
}

void HistogramFamily::Observe(const std::vector<std::string>& label_values, double value) {
  Series& series = Find(label_values);
  size_t bucket = 0;
  while (bucket < bounds_.size() && value > bounds_[bucket]) ++bucket;
  series.counts[bucket].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(series.sum, value);
}

CounterFamily* MetricsRegistry::AddCounter(const std::string& name, const std::string& help,
                                           std::vector<std::string> label_names) {
  auto family = std::make_unique<CounterFamily>();
  family->name_ = name;
  family->help_ = help;
  family->label_names_ = std::move(label_names);
  std::lock_guard lock(mutex_);
  counters_.push_back(std::move(family));
  order_.push_back({counters_.back().get(), nullptr, nullptr, ""});
  return counters_.back().get();
}

GaugeFamily* MetricsRegistry::AddGauge(const std::string& name, const std::string& help,
                                       std::vector<std::string> label_names) {
  auto family = std::make_unique<GaugeFamily>();
  family->name_ = name;
  family->help_ = help;
  family->label_names_ = std::move(label_names);
  std::lock_guard lock(mutex_);
  gauges_.push_back(std::move(family));
  order_.push_back({nullptr, gauges_.back().get(), nullptr, ""});
  return gauges_.back().get();
}

HistogramFamily* MetricsRegistry::AddHistogram(const std::string& name, const std::string& help,
                                               std::vector<std::string> label_names,
                                               std::vector<double> bounds) {
  auto family = std::make_unique<HistogramFamily>();
  family->name_ = name;
  family->help_ = help;
  family->label_names_ = std::move(label_names);
  family->bounds_ = std::move(bounds);
  std::lock_guard lock(mutex_);
  histograms_.push_back(std::move(family));
  order_.push_back({nullptr, nullptr, histograms_.back().get(), ""});
  return histograms_.back().get();
}

void MetricsRegistry::AddGaugeCallback(const std::string& name, const std::string& help,
                                       Labels labels, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  bool known = false;
  for (const auto& callback : callbacks_) known = known || callback.name == name;
  callbacks_.push_back({name, help, std::move(labels), std::move(read)});
  if (!known) order_.push_back({nullptr, nullptr, nullptr, name});
}

std::string MetricsRegistry::Render() const {
  // Copy the callbacks out so that none runs under our lock (one may take locks of its own).
  std::vector<Entry> order;
  std::vector<Callback> callbacks;
  {
    std::lock_guard lock(mutex_);
    order = order_;
    callbacks = callbacks_;
  }
  std::string out;
  for (const Entry& entry : order) {
    if (entry.counter) {
      const CounterFamily& family = *entry.counter;
      Header(out, family.name_, family.help_, "counter");
      std::shared_lock lock(family.mutex_);
      for (const auto& [values, series] : family.series_) {
        out += family.name_ + LabelText(family.label_names_, values) + " " +
               FormatValue(static_cast<double>(series->value.load(std::memory_order_relaxed))) +
               "\n";
      }
    } else if (entry.gauge) {
      const GaugeFamily& family = *entry.gauge;
      Header(out, family.name_, family.help_, "gauge");
      std::shared_lock lock(family.mutex_);
      for (const auto& [values, series] : family.series_) {
        out += family.name_ + LabelText(family.label_names_, values) + " " +
               FormatValue(series->value.load(std::memory_order_relaxed)) + "\n";
      }
    } else if (entry.histogram) {
      const HistogramFamily& family = *entry.histogram;
      Header(out, family.name_, family.help_, "histogram");
      std::shared_lock lock(family.mutex_);
      for (const auto& [values, series] : family.series_) {
        // _count is the +Inf bucket's cumulative value, so the two agree in every scrape even
        // while observations race with it.
        uint64_t cumulative = 0;
        for (size_t b = 0; b < series->counts.size(); ++b) {
          cumulative += series->counts[b].load(std::memory_order_relaxed);
          std::string le = b < family.bounds_.size() ? FormatValue(family.bounds_[b]) : "+Inf";
          out += family.name_ + "_bucket" +
                 LabelText(family.label_names_, values, "le=\"" + le + "\"") + " " +
                 FormatValue(static_cast<double>(cumulative)) + "\n";
        }
        std::string labels = LabelText(family.label_names_, values);
        out += family.name_ + "_sum" + labels + " " +
               FormatValue(series->sum.load(std::memory_order_relaxed)) + "\n";
        out += family.name_ + "_count" + labels + " " +
               FormatValue(static_cast<double>(cumulative)) + "\n";
      }
    } else {
      const std::string& name = entry.callback_name;
      bool first = true;
      for (const auto& callback : callbacks) {
        if (callback.name != name) continue;
        if (first) Header(out, name, callback.help, "gauge");
        first = false;
        std::vector<std::string> names, values;
        for (const auto& [label, value] : callback.labels) {
          names.push_back(label);
          values.push_back(value);
        }
        out += name + LabelText(names, values) + " " + FormatValue(callback.read()) + "\n";
      }
    }
  }
  return out;
}

}  // namespace spoke
