#pragma once
/// Engine instances as child processes of the gateway. Each child gets a
/// free loopback port chosen here, `CUDA_VISIBLE_DEVICES` set to its GPUs,
/// and dies with the gateway even when the gateway is SIGKILLed
/// (PR_SET_PDEATHSIG) — unless engines outlive it (several replicas: a new
/// fleet leader adopts them by pid and address). Its output is forwarded to the gateway's log, one
/// line at a time, prefixed with the instance id. Exits are seen at once:
/// the caller routes SIGCHLD to reap().
///
/// The command comes from a CommandBuilder: `sim` models run
/// `sluice engine-sim` with the model's profile (sim_command()).
/// Thread-safety: every call from the controller's thread; the output pump
/// runs on its own thread.
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "sluice/provider/provider.h"

namespace sluice::provider {

/// argv for one instance listening on `port`.
using CommandBuilder = std::function<std::vector<std::string>(const LaunchSpec& spec, std::uint16_t port)>;

/// `EXE engine-sim --port PORT --profile … [--simulate-load] [--fail-load]` for a `sim` model.
std::vector<std::string> sim_command(const std::string& exe, const LaunchSpec& spec, std::uint16_t port);

/// A `process` model's command template with its placeholders filled in
/// ({port}, {model}, {instance}, {gpus}, {gpu_count}).
std::vector<std::string> template_command(const LaunchSpec& spec, std::uint16_t port);

/// sim_command or template_command, by the model's source.
std::vector<std::string> command_for(const std::string& exe, const LaunchSpec& spec, std::uint16_t port);

class ProcessProvider final : public Provider {
 public:
  explicit ProcessProvider(CommandBuilder command);
  ~ProcessProvider() override;
  ProcessProvider(const ProcessProvider&) = delete;
  ProcessProvider& operator=(const ProcessProvider&) = delete;

  std::expected<Launched, std::string> launch(const LaunchSpec& spec) override;
  void stop(const std::string& instance_id) override;
  void kill(const std::string& instance_id) override;
  std::vector<Exit> reap() override;
  void stop_all(core::Duration grace) override;
  /// An engine another replica launched, by its pid: adopted when that
  /// process is alive and its command line carries `where.port`. Its exit
  /// is not a SIGCHLD here: reap() polls for it.
  bool adopt(const std::string& instance_id, const Launched& where) override;

  /// Several replicas: engines outlive this gateway (no PR_SET_PDEATHSIG,
  /// their own session) so that a new leader adopts them. Before launch().
  void set_engines_outlive(bool outlive) { outlive_ = outlive; }
  /// Lets every instance go without stopping it (a leader handing its
  /// fleet over at shutdown): stop_all() and the destructor leave them be.
  void release_all();

 private:
  struct Child {
    pid_t pid = -1;
    int output_fd = -1;
  };
  void pump_output();
  void wake_pump();

  CommandBuilder command_;
  std::mutex mu_;
  std::map<std::string, Child> children_;  // running, by instance id
  std::map<std::string, pid_t> adopted_;   // running, not our children, by instance id
  bool outlive_ = false;
  std::thread pump_;
  int wake_[2] = {-1, -1};
  bool stopping_ = false;
};

/// A port nobody listens on now, on 127.0.0.1 (bind to 0, read, close), and
/// not one handed out lately: two engines launched together never share one.
std::expected<std::uint16_t, std::string> free_loopback_port();

}  // namespace sluice::provider
