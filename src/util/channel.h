// A bounded queue between one producing and one consuming thread, for pipelines whose stages run
// side by side (inflating a pack on one core while hashing its objects on another).
#ifndef SPOKE_UTIL_CHANNEL_H_
#define SPOKE_UTIL_CHANNEL_H_

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace spoke {

template <typename T>
class Channel {
 public:
  // REQUIRES: capacity >= 1. Send blocks while `capacity` items wait.
  explicit Channel(size_t capacity) : capacity_(capacity) {}

  // Queues `item`; false (and `item` dropped) when the channel was closed.
  bool Send(T item) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }

  // The next item; nullopt once the channel is closed and drained.
  std::optional<T> Receive() {
    std::unique_lock<std::mutex> lock(mutex_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }

  // No more sends; waiting receivers get what is queued, then nullopt. Either side may close.
  void Close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  const size_t capacity_;
  std::mutex mutex_;
  std::condition_variable not_empty_, not_full_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace spoke

#endif  // SPOKE_UTIL_CHANNEL_H_
