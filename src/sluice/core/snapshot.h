#pragma once
/// An immutable value published atomically. Readers borrow the current
/// snapshot (`load()` returns shared_ptr<const T>) and keep it for the whole
/// request; a writer builds a new T and `publish()`es it. Readers never block
/// writers for longer than the pointer swap.
#include <atomic>
#include <memory>

namespace sluice::core {

template <typename T>
class Snapshot {
 public:
  explicit Snapshot(std::shared_ptr<const T> initial) : current_(std::move(initial)) {}
  std::shared_ptr<const T> load() const { return current_.load(std::memory_order_acquire); }
  void publish(std::shared_ptr<const T> next) { current_.store(std::move(next), std::memory_order_release); }

 private:
  std::atomic<std::shared_ptr<const T>> current_;
};

}  // namespace sluice::core
