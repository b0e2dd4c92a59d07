// The pool of ConnectionPool: idle connections in a vector under a mutex, a count of those open,
// and a condition variable for takers waiting at the cap.
#include "postgres/connection_pool.h"

#include <utility>

namespace spoke::postgres {
namespace {

// Leases the calling thread holds, of any pool: a thread holding one may nest past a cap.
thread_local int leases_held = 0;

}  // namespace

ConnectionPool::Lease::~Lease() {
  if (pool_ == nullptr) return;  // moved from
  --leases_held;
  pool_->GiveBack(std::move(connection_));
}

Result<ConnectionPool::Lease> ConnectionPool::Take() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    auto can_take = [this] {
      return !idle_.empty() || max_open_ <= 0 || open_ < max_open_ || leases_held > 0;
    };
    if (!given_back_.wait_for(lock, wait_, can_take)) {
      return Status::Unavailable("all " + std::to_string(max_open_) +
                                 " connections to PostgreSQL stayed in use for " +
                                 std::to_string(wait_.count()) + " ms");
    }
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      ++leases_held;
      return Lease(this, std::move(connection));
    }
    ++open_;  // counted before it opens, so that concurrent takers respect the cap
  }
  Result<std::unique_ptr<Connection>> connection = Connection::Open(url_);
  if (!connection.ok()) {
    std::lock_guard<std::mutex> lock(mutex_);
    --open_;
    given_back_.notify_one();
    return connection.status();
  }
  ++leases_held;
  return Lease(this, std::move(*connection));
}

int ConnectionPool::open() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return open_;
}

void ConnectionPool::DiscardIfLost(Lease& lease, const Status& status) {
  if (status.code() == Status::Code::kUnavailable) lease.Discard();
}

void ConnectionPool::GiveBack(std::unique_ptr<Connection> connection) {
  // A connection given back inside a transaction (a caller's bug) would hand its half-done work
  // to the next taker; it is closed instead, which rolls that work back.
  if (connection && connection->InTransaction()) connection.reset();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (connection) {
      idle_.push_back(std::move(connection));
    } else {
      --open_;
    }
  }
  given_back_.notify_one();
}

}  // namespace spoke::postgres
