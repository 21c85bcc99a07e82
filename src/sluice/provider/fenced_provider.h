#pragma once
/// A Provider whose actions are fenced: before each launch, stop and kill it
/// asks `fence` whether this replica still holds the fleet lease at its
/// epoch (cluster/fleet_leader.h), and refuses the action when it does not —
/// a leader that lost its lease (paused, cut off from Redis) can never
/// start or stop an engine the new leader owns. Without a fence (a gateway
/// alone) every action goes through.
///
/// Thread-safety: as the wrapped provider; `fence` is called on the
/// controller's thread.
#include <functional>
#include <spdlog/spdlog.h>

#include "sluice/provider/provider.h"

namespace sluice::provider {

class FencedProvider final : public Provider {
 public:
  using Fence = std::function<std::expected<void, std::string>()>;
  FencedProvider(Provider& inner, Fence fence) : inner_(inner), fence_(std::move(fence)) {}

  std::expected<Launched, std::string> launch(const LaunchSpec& spec) override {
    if (auto f = check("launch", spec.instance_id); !f) return std::unexpected(f.error());
    return inner_.launch(spec);
  }
  void stop(const std::string& instance_id) override {
    if (check("stop", instance_id)) inner_.stop(instance_id);
  }
  void kill(const std::string& instance_id) override {
    if (check("kill", instance_id)) inner_.kill(instance_id);
  }
  std::vector<Exit> reap() override { return inner_.reap(); }
  /// A local shutdown (this replica decided to stop its engines): not fenced.
  void stop_all(core::Duration grace) override { inner_.stop_all(grace); }
  bool adopt(const std::string& instance_id, const Launched& where) override { return inner_.adopt(instance_id, where); }

  /// Actions refused so far.
  std::uint64_t refused() const { return refused_; }

 private:
  std::expected<void, std::string> check(std::string_view action, const std::string& instance_id) {
    if (!fence_) return {};
    auto f = fence_();
    if (!f) {
      ++refused_;
      spdlog::error("fleet: {} {} refused (fenced): {}", action, instance_id, f.error());
      return std::unexpected("fenced: " + f.error());
    }
    return {};
  }

  Provider& inner_;
  Fence fence_;
  std::uint64_t refused_ = 0;
};

}  // namespace sluice::provider
