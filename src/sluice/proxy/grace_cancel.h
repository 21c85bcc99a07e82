#pragma once
/// The end of the shutdown grace period on one I/O thread. Each running
/// completion request registers a hook that closes its upstream connection;
/// cancel_all() runs them, so the try in flight ends at once, and the tries
/// loop, seeing cancelled(), answers the client itself (a 503 body, or an
/// SSE error event and [DONE] on a stream) instead of retrying. Every
/// cancelled request thus still ends with a response and an access-log line.
/// Thread-safety: one per Worker, used on its I/O thread only.
#include <functional>
#include <list>

namespace sluice::proxy {

class GraceCancel {
 public:
  /// Registered while it lives: `cancel` runs if the grace period ends first.
  class Hook {
   public:
    Hook(GraceCancel& owner, std::function<void()> cancel)
        : owner_(owner), at_(owner.hooks_.insert(owner.hooks_.end(), std::move(cancel))) {}
    ~Hook() { owner_.hooks_.erase(at_); }
    Hook(const Hook&) = delete;
    Hook& operator=(const Hook&) = delete;

   private:
    GraceCancel& owner_;
    std::list<std::function<void()>>::iterator at_;
  };

  /// Marks the thread's requests cancelled and runs every hook (once).
  void cancel_all() {
    if (cancelled_) return;
    cancelled_ = true;
    for (auto& cancel : hooks_) cancel();
  }
  bool cancelled() const { return cancelled_; }
  std::size_t registered() const { return hooks_.size(); }

 private:
  std::list<std::function<void()>> hooks_;
  bool cancelled_ = false;
};

}  // namespace sluice::proxy
