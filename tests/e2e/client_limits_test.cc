// The client against a registry that answers without end: a fake registry in the test process
// (cpp-httplib) streams 600 MB of pack-looking bytes, or of JSON, and `spoke` must stop reading at
// its bound, fail with a message that says so (exit 1), keep its memory flat while it receives
// (the pack goes to a file, never into memory), and leave its local store as clean as before.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include "e2e_util.h"
#include "harness.h"

namespace spoke::e2e {
namespace {

constexpr uint64_t kStreamBytes = uint64_t{600} << 20;
constexpr long kMiB = 1024;  // in KiB, as ru_maxrss counts

const std::string kTag(40, 'a');
const std::string kTip(40, 'b');

// A registry that lists one version of module "huge" and answers every fetch (or, with
// `endless_refs`, every ref listing) with kStreamBytes of bytes, chunked or with the length
// announced. It counts what it managed to send, to show that the client stopped reading early.
class FakeRegistry {
 public:
  struct Options {
    bool announce_length = false;  // Content-Length: 600 MB rather than chunked
    bool endless_refs = false;     // the ref list is the endless answer, not the pack
  };

  explicit FakeRegistry(Options options) : options_(options) {
    // One MiB of pack-looking bytes: a pack header claiming many objects, then incompressible
    // noise, as a real pack of compressed objects looks.
    chunk_.resize(1 << 20);
    std::mt19937 rng(11);
    for (char& c : chunk_) c = static_cast<char>(rng());
    std::copy_n("PACK\0\0\0\2\0\x10\0\0", 12, chunk_.begin());
    server_.Get("/sync/v1/refs", [this](const httplib::Request&, httplib::Response& res) {
      if (options_.endless_refs) return Stream(res, EndlessRefsChunk(), "application/json");
      res.set_content(R"({"protocol": 1, "refs": [{"name": "refs/tags/huge/v1.0.0", "target": ")" +
                          kTag + R"("}, {"name": "refs/heads/huge/_history", "target": ")" + kTip +
                          R"("}]})",
                      "application/json");
    });
    server_.Post("/sync/v1/fetch", [this](const httplib::Request&, httplib::Response& res) {
      Stream(res, chunk_, "application/x-git-packed-objects");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }

  ~FakeRegistry() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  uint64_t sent() const { return sent_; }

 private:
  // A ref list that never closes its array: {"protocol": 1, "refs": [{...}, {...}, ...
  static std::string EndlessRefsChunk() {
    std::string entry = R"({"name": "refs/tags/huge/v1.0.0", "target": ")" + kTag + R"("}, )";
    std::string chunk = R"({"protocol": 1, "refs": [)";
    while (chunk.size() < (1 << 20)) chunk += entry;
    return chunk;
  }

  void Stream(httplib::Response& res, std::string chunk, const char* type) {
    auto piece = std::make_shared<std::string>(std::move(chunk));
    if (options_.announce_length) {
      res.set_content_provider(
          kStreamBytes, type, [this, piece](size_t offset, size_t length, httplib::DataSink& sink) {
            size_t n = std::min(length, piece->size());
            if (!sink.write(piece->data(), n)) return false;
            sent_ += n;
            return true;
          });
      return;
    }
    res.set_chunked_content_provider(type, [this, piece](size_t offset, httplib::DataSink& sink) {
      if (offset >= kStreamBytes) {
        sink.done();
        return true;
      }
      if (!sink.write(piece->data(), piece->size())) return false;
      sent_ += piece->size();
      return true;
    });
  }

  Options options_;
  std::string chunk_;
  httplib::Server server_;
  int port_ = -1;
  std::atomic<uint64_t> sent_{0};
  std::thread thread_;
};

class ClientLimits : public ::testing::Test {
 protected:
  // `spoke pull` of huge@v1.0.0 from `registry`, with `extra` in its environment.
  CommandResult Pull(const FakeRegistry& registry, const Env& extra = {}) {
    Env env = {{"SPOKE_HOME", work_.Sub("home")}, {"SPOKE_REGISTRY", registry.url()}};
    env.insert(env.end(), extra.begin(), extra.end());
    return RunCli({"pull", "-module", "huge", "-version", "v1.0.0", "-dir", work_.Sub("out")}, env);
  }

  // The local store is as clean as a fresh one: fsck passes, no ref, nothing left in its
  // quarantine (where the pack was streamed).
  void ExpectLocalStoreClean() {
    GitFsck(work_.Sub("home"));
    EXPECT_EQ(RefsOf(work_.Sub("home")), "");
    std::error_code ec;
    const auto incoming = std::filesystem::path(work_.Sub("home")) / "spoke-incoming";
    for (const auto& entry : std::filesystem::recursive_directory_iterator(incoming, ec)) {
      EXPECT_TRUE(entry.is_directory()) << "left behind: " << entry.path();
    }
  }

  TempDir work_;
};

// Under AddressSanitizer a process's RSS holds shadow memory and a quarantine of freed blocks, so
// it says nothing about what the client itself keeps: the bound is checked in normal builds only.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kPeakRssIsMeaningful = false;
#else
constexpr bool kPeakRssIsMeaningful = true;
#endif

void ExpectPeakRssBelow(const CommandResult& run, long kib) {
  if (kPeakRssIsMeaningful) {
    EXPECT_LT(run.peak_rss_kib, kib) << "peak RSS " << run.peak_rss_kib / kMiB << " MiB";
  }
}

// The pack streams to a file: 256 MiB of it are received and kept on disk before the bound stops
// the client, and its memory never grows with them.
TEST_F(ClientLimits, AnEndlessPackIsStreamedToDiskAndCutAtTheBound) {
  FakeRegistry registry({});
  CommandResult pull = Pull(registry, {{"SPOKE_MAX_FETCH", "256M"}});
  EXPECT_EQ(pull.exit_code, 1) << pull.Describe();
  EXPECT_TRUE(Contains(pull.err, "sent a pack larger than 256 MiB; stopped reading it"))
      << pull.Describe();
  EXPECT_TRUE(Contains(pull.err, "SPOKE_MAX_FETCH")) << pull.Describe();
  ExpectPeakRssBelow(pull, 64 * kMiB);
  RecordProperty("peak_rss_kib", static_cast<int>(pull.peak_rss_kib));
  EXPECT_LT(registry.sent(), kStreamBytes) << "the client read the whole stream";
  ExpectLocalStoreClean();
}

// An announced length over the bound is refused before any of the body is read.
TEST_F(ClientLimits, APackAnnouncedOverTheBoundIsRefusedAtOnce) {
  FakeRegistry registry({.announce_length = true});
  CommandResult pull = Pull(registry, {{"SPOKE_MAX_FETCH", "100M"}});
  EXPECT_EQ(pull.exit_code, 1) << pull.Describe();
  EXPECT_TRUE(Contains(pull.err, "sent a pack larger than 100 MiB")) << pull.Describe();
  ExpectPeakRssBelow(pull, 64 * kMiB);
  RecordProperty("peak_rss_kib", static_cast<int>(pull.peak_rss_kib));
  EXPECT_LT(registry.sent(), uint64_t{100} << 20);
  ExpectLocalStoreClean();
}

// JSON answers are held in memory, so they have a bound of their own (64 MiB): a ref list that
// never ends is cut there.
TEST_F(ClientLimits, AnEndlessJsonAnswerIsCutAt64MiB) {
  FakeRegistry registry({.endless_refs = true});
  CommandResult pull = Pull(registry);
  EXPECT_EQ(pull.exit_code, 1) << pull.Describe();
  EXPECT_TRUE(Contains(pull.err, "sent an answer larger than 64 MiB for /sync/v1/refs"))
      << pull.Describe();
  // The answer is held, so memory grows by the bound and no more.
  RecordProperty("peak_rss_kib", static_cast<int>(pull.peak_rss_kib));
  ExpectPeakRssBelow(pull, (64 + 32) * kMiB);
  EXPECT_LT(registry.sent(), kStreamBytes) << "the client read the whole stream";
  ExpectLocalStoreClean();
}

TEST_F(ClientLimits, AJsonAnswerAnnouncedOverTheBoundIsRefusedAtOnce) {
  FakeRegistry registry({.announce_length = true, .endless_refs = true});
  CommandResult pull = Pull(registry);
  EXPECT_EQ(pull.exit_code, 1) << pull.Describe();
  EXPECT_TRUE(Contains(pull.err, "sent an answer larger than 64 MiB")) << pull.Describe();
  ExpectPeakRssBelow(pull, 64 * kMiB);
  RecordProperty("peak_rss_kib", static_cast<int>(pull.peak_rss_kib));
  EXPECT_LT(registry.sent(), uint64_t{64} << 20);
  ExpectLocalStoreClean();
}

TEST_F(ClientLimits, AMalformedFetchBoundIsAUsageError) {
  FakeRegistry registry({});
  CommandResult pull = Pull(registry, {{"SPOKE_MAX_FETCH", "lots"}});
  EXPECT_EQ(pull.exit_code, 2) << pull.Describe();
  EXPECT_TRUE(Contains(pull.err, "SPOKE_MAX_FETCH")) << pull.Describe();
  EXPECT_EQ(registry.sent(), 0u);
}

}  // namespace
}  // namespace spoke::e2e
