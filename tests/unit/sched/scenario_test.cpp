// Scenario files: tests/scenarios/*.yaml, one test per file. Each file drives
// a FairQueue (and, with `quotas`, a QuotaLedger in front of it) through a
// timeline under a manual clock and checks what was dispatched, refused and
// charged. The format is documented in tests/scenarios/README.md.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "sluice/config/config.h"
#include "sluice/core/clock.h"
#include "sluice/sched/fair_queue.h"
#include "sluice/tenancy/quota_ledger.h"

namespace sluice::sched {
namespace {

/// A malformed scenario (not a failed expectation): reported at its line.
struct ScenarioError {
  int line;
  std::string message;
};

int line_of(const YAML::Node& node) { return node.Mark().line + 1; }

[[noreturn]] void error_at(const YAML::Node& node, const std::string& message) {
  throw ScenarioError{line_of(node), message};
}

std::string scalar(const YAML::Node& node, const char* what) {
  if (!node.IsScalar()) error_at(node, std::string(what) + ": expected a scalar");
  return node.Scalar();
}

double number(const YAML::Node& node, const char* what) {
  const std::string text = scalar(node, what);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') error_at(node, std::string(what) + ": not a number: '" + text + "'");
  return v;
}

std::int64_t integer(const YAML::Node& node, const char* what) {
  const double v = number(node, what);
  if (v != std::floor(v)) error_at(node, std::string(what) + ": not an integer");
  return static_cast<std::int64_t>(v);
}

/// "250ms", "10s", "1.5s", "2m", "1h"; a bare number is seconds.
core::Duration duration(const YAML::Node& node, const char* what) {
  const std::string text = scalar(node, what);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str()) error_at(node, std::string(what) + ": not a duration: '" + text + "'");
  const std::string unit(end);
  double seconds = 0;
  if (unit.empty() || unit == "s") seconds = v;
  else if (unit == "ms") seconds = v / 1000.0;
  else if (unit == "m") seconds = v * 60.0;
  else if (unit == "h") seconds = v * 3600.0;
  else error_at(node, std::string(what) + ": unknown unit in '" + text + "' (ms, s, m, h)");
  return std::chrono::round<core::Duration>(std::chrono::duration<double>(seconds));
}

std::string show(core::Duration d) {
  std::ostringstream out;
  out << core::to_seconds(d) << "s (" << d.count() << "ns)";
  return out.str();
}

void check_keys(const YAML::Node& map, std::initializer_list<const char*> allowed, const char* what) {
  if (!map.IsMap()) error_at(map, std::string(what) + ": expected a map");
  for (const auto& kv : map) {
    const std::string key = kv.first.Scalar();
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
      std::string list;
      for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      error_at(kv.first, std::string(what) + ": unknown key '" + key + "' (known: " + list + ")");
    }
  }
}

Band band_of(const YAML::Node& node) {
  const std::string b = scalar(node, "band");
  if (b == "critical") return Band::kCritical;
  if (b == "standard") return Band::kStandard;
  if (b == "batch") return Band::kBatch;
  error_at(node, "band: '" + b + "' is not critical, standard or batch");
}

class Scenario {
 public:
  Scenario(std::string file, YAML::Node root) : file_(std::move(file)), root_(std::move(root)) {}

  /// Runs the scenario; failed expectations and scenario errors become
  /// gtest failures at file:line.
  void run() {
    try {
      configure();
      const YAML::Node steps = root_["steps"];
      if (!steps || !steps.IsSequence()) error_at(root_, "'steps' (a sequence) is required");
      for (const auto& step : steps) run_step(step);
    } catch (const ScenarioError& e) {
      ADD_FAILURE_AT(file_.c_str(), e.line) << "scenario error: " << e.message;
    } catch (const YAML::Exception& e) {
      ADD_FAILURE_AT(file_.c_str(), e.mark.line + 1) << "scenario error: " << e.what();
    }
  }

 private:
  enum class State { kQueued, kRunning, kDone, kCancelled, kRefused };
  struct Request {
    std::string name;
    std::uint32_t tenant = 0;
    std::size_t model = 0;
    Band band = Band::kStandard;
    std::int64_t in = 10;
    std::int64_t out = 10;
    std::int64_t reserved = 0;  // tokens reserved by the ledger
    State state = State::kQueued;
    std::uint64_t dispatch_seq = 0;
  };

  // --- configuration -------------------------------------------------------

  void configure() {
    check_keys(root_, {"policy", "w_input", "w_output", "batch_promote_after", "slots", "tenants", "quotas", "models",
                       "steps"},
               "scenario");
    FairQueueConfig qc;
    if (const auto p = root_["policy"]) {
      const std::string name = scalar(p, "policy");
      if (name == "fcfs") qc.policy = Policy::kFcfs;
      else if (name == "round_robin") qc.policy = Policy::kRoundRobin;
      else if (name == "vtc") qc.policy = Policy::kVtc;
      else error_at(p, "policy: '" + name + "' is not fcfs, round_robin or vtc");
    }
    if (const auto w = root_["w_input"]) qc.w_input = number(w, "w_input");
    if (const auto w = root_["w_output"]) qc.w_output = number(w, "w_output");
    if (const auto a = root_["batch_promote_after"]) qc.batch_promote_after = duration(a, "batch_promote_after");
    if (const auto s = root_["slots"]) slots_ = integer(s, "slots");
    queue_ = std::make_unique<FairQueue>(qc);

    if (const auto models = root_["models"]) {
      if (!models.IsSequence() || models.size() == 0) error_at(models, "models: expected a non-empty list of names");
      models_.clear();
      for (const auto& m : models) models_.push_back(scalar(m, "model"));
    }

    if (const auto tenants = root_["tenants"]) {
      if (!tenants.IsMap()) error_at(tenants, "tenants: expected a map of name: {weight, reserved, cap}");
      for (const auto& kv : tenants) {
        const std::uint32_t t = tenant_index(kv.first);
        check_keys(kv.second, {"weight", "reserved", "cap"}, "tenant");
        TenantShare share;
        if (const auto w = kv.second["weight"]) share.weight = number(w, "weight");
        if (const auto r = kv.second["reserved"]) share.reserved = integer(r, "reserved");
        if (const auto c = kv.second["cap"]) share.cap = integer(c, "cap");
        queue_->set_tenant(t, share);
      }
    }

    if (const auto quotas = root_["quotas"]) {
      if (!quotas.IsMap()) error_at(quotas, "quotas: expected a map of tenant: {rpm, tpm, max_concurrency, models}");
      std::map<std::uint32_t, config::Tenant> limited;
      for (const auto& kv : quotas) {
        const std::uint32_t t = tenant_index(kv.first);
        config::Tenant& tenant = limited[t];
        tenant.limits = limits_of(kv.second, true);
        if (const auto per_model = kv.second["models"]) {
          if (!per_model.IsMap()) error_at(per_model, "quotas.models: expected a map of model: limits");
          for (const auto& m : per_model) {
            model_index(m.first);  // must be known
            tenant.model_limits.push_back({m.first.Scalar(), limits_of(m.second, false)});
          }
        }
      }
      config::Config cfg;
      for (std::uint32_t t = 0; t < tenant_names_.size(); ++t) {
        config::Tenant tenant = limited.count(t) ? limited[t] : config::Tenant{};
        tenant.id = tenant_names_[t];
        cfg.tenants.push_back(std::move(tenant));
      }
      for (const auto& m : models_) {
        config::Model model;
        model.name = m;
        cfg.models.push_back(std::move(model));
      }
      ledger_ = std::make_unique<tenancy::QuotaLedger>(cfg, now_);
    }
  }

  config::TenantLimits limits_of(const YAML::Node& node, bool allow_models) {
    if (allow_models) check_keys(node, {"rpm", "tpm", "max_concurrency", "models"}, "quota");
    else check_keys(node, {"rpm", "tpm", "max_concurrency"}, "model quota");
    config::TenantLimits limits;
    if (const auto v = node["rpm"]) limits.rpm = integer(v, "rpm");
    if (const auto v = node["tpm"]) limits.tpm = integer(v, "tpm");
    if (const auto v = node["max_concurrency"]) limits.max_concurrency = integer(v, "max_concurrency");
    return limits;
  }

  std::uint32_t tenant_index(const YAML::Node& node) {
    const std::string name = scalar(node, "tenant");
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return std::islower(c) || c == '_'; })) {
      error_at(node, "tenant '" + name + "': a tenant name is lower-case letters and '_'");
    }
    return tenant_index(name);
  }

  std::uint32_t tenant_index(const std::string& name) {
    for (std::uint32_t t = 0; t < tenant_names_.size(); ++t) {
      if (tenant_names_[t] == name) return t;
    }
    tenant_names_.push_back(name);
    return static_cast<std::uint32_t>(tenant_names_.size() - 1);
  }

  std::size_t model_index(const YAML::Node& node) {
    const std::string name = scalar(node, "model");
    for (std::size_t m = 0; m < models_.size(); ++m) {
      if (models_[m] == name) return m;
    }
    error_at(node, "model '" + name + "' is not in 'models'");
  }

  /// A tenant named in an expectation (one not seen yet has sent nothing).
  std::uint32_t known_tenant(const YAML::Node& node) { return tenant_index(node); }

  // --- steps ---------------------------------------------------------------

  void run_step(const YAML::Node& step) {
    check_keys(step,
               {"at", "slots", "arrive", "complete", "progress", "cancel", "expect_dispatched", "expect_refused",
                "expect_retry_after", "expect_counter", "expect_running", "expect_queued", "expect_size",
                "expect_in_flight"},
               "step");
    step_line_ = line_of(step);
    if (const auto at = step["at"]) {
      const core::TimePoint t = core::TimePoint{} + duration(at, "at");
      if (t < now_) error_at(at, "at: time goes backwards");
      now_ = t;
    }
    bool acted = false;
    for (const auto& kv : step) {
      const std::string key = kv.first.Scalar();
      if (key == "slots") slots_ = integer(kv.second, "slots");
      else if (key == "arrive") arrive(kv.second);
      else if (key == "complete") complete(kv.second);
      else if (key == "progress") progress(kv.second);
      else if (key == "cancel") cancel(kv.second);
      else continue;
      acted = true;
    }
    if (acted || step["at"]) dispatch();
    for (const auto& kv : step) {
      const std::string key = kv.first.Scalar();
      if (key.starts_with("expect_")) expect(key, kv.first, kv.second);
    }
  }

  Request& request(const YAML::Node& node) {
    const std::string name = scalar(node, "id");
    auto it = by_name_.find(name);
    if (it == by_name_.end()) error_at(node, "unknown request '" + name + "'");
    return requests_[it->second];
  }

  void arrive(const YAML::Node& list) {
    if (!list.IsSequence()) error_at(list, "arrive: expected a list");
    for (const auto& item : list) {
      Request r;
      // Not `id = item["id"]`: assigning a yaml-cpp Node writes through to the node it refers to.
      const YAML::Node id = item.IsMap() ? item["id"] : item;
      if (item.IsMap()) {
        check_keys(item, {"id", "in", "out", "band", "model"}, "arrive");
        if (!id) error_at(item, "arrive: 'id' is required");
        if (const auto v = item["in"]) r.in = integer(v, "in");
        if (const auto v = item["out"]) r.out = integer(v, "out");
        if (const auto v = item["band"]) r.band = band_of(v);
        if (const auto v = item["model"]) r.model = model_index(v);
      }
      r.name = scalar(id, "id");
      const auto digits = r.name.find_first_of("0123456789");
      if (digits == 0 || digits == std::string::npos ||
          r.name.find_first_not_of("0123456789", digits) != std::string::npos) {
        error_at(id, "id '" + r.name + "': a request id is its tenant's name followed by a number, e.g. a1");
      }
      if (by_name_.count(r.name)) error_at(id, "request '" + r.name + "' arrived already");
      r.tenant = tenant_index(r.name.substr(0, digits));
      const std::uint64_t qid = requests_.size() + 1;
      by_name_[r.name] = qid;
      requests_[qid] = r;
      Request& req = requests_[qid];
      if (ledger_) {
        const auto d = ledger_->admit(req.tenant, req.model, req.in + req.out, now_);
        if (!d.admitted()) {
          req.state = State::kRefused;
          refused_[req.name] = std::string(tenancy::to_string(d.refusal));
          retry_after_[req.name] = d.retry_after;
          continue;
        }
        req.reserved = d.reserved_tokens;
      }
      queue_->enqueue(QueuedRequest{.id = qid, .tenant = req.tenant, .band = req.band, .input_tokens = req.in,
                                    .output_tokens = req.out, .enqueued = now_});
    }
  }

  void finish(Request& r, std::int64_t in, std::int64_t out) {
    queue_->on_complete(by_name_[r.name], in, out);
    if (ledger_) ledger_->finish(r.tenant, r.model, r.reserved, in + out, now_);
    r.state = State::kDone;
  }

  void complete(const YAML::Node& list) {
    if (list.IsScalar() && list.Scalar() == "all") {
      std::vector<Request*> running;
      for (auto& [qid, r] : requests_) {
        if (r.state == State::kRunning) running.push_back(&r);
      }
      std::sort(running.begin(), running.end(),
                [](const Request* x, const Request* y) { return x->dispatch_seq < y->dispatch_seq; });
      for (Request* r : running) finish(*r, r->in, r->out);
      return;
    }
    if (!list.IsSequence()) error_at(list, "complete: expected a list, or 'all'");
    for (const auto& item : list) {
      const YAML::Node id = item.IsMap() ? item["id"] : item;
      if (item.IsMap()) {
        check_keys(item, {"id", "in", "out"}, "complete");
        if (!id) error_at(item, "complete: 'id' is required");
      }
      Request& r = request(id);
      if (r.state != State::kRunning) error_at(id, "complete: '" + r.name + "' is not running");
      std::int64_t in = r.in, out = r.out;
      if (item.IsMap()) {
        if (const auto v = item["in"]) in = integer(v, "in");
        if (const auto v = item["out"]) out = integer(v, "out");
      }
      finish(r, in, out);
    }
  }

  void progress(const YAML::Node& list) {
    if (!list.IsSequence()) error_at(list, "progress: expected a list of {id, out}");
    for (const auto& item : list) {
      check_keys(item, {"id", "out"}, "progress");
      if (!item["id"] || !item["out"]) error_at(item, "progress: 'id' and 'out' are required");
      Request& r = request(item["id"]);
      if (r.state != State::kRunning) error_at(item["id"], "progress: '" + r.name + "' is not running");
      queue_->on_progress(by_name_[r.name], integer(item["out"], "out"));
    }
  }

  void cancel(const YAML::Node& list) {
    if (!list.IsSequence()) error_at(list, "cancel: expected a list of ids");
    for (const auto& id : list) {
      Request& r = request(id);
      if (r.state != State::kQueued) error_at(id, "cancel: '" + r.name + "' is not queued");
      if (!queue_->remove(by_name_[r.name])) {
        ADD_FAILURE_AT(file_.c_str(), line_of(id)) << "cancel: FairQueue::remove(" << r.name << ") said not queued";
      }
      if (ledger_) ledger_->finish(r.tenant, r.model, r.reserved, 0, now_);
      r.state = State::kCancelled;
    }
  }

  void dispatch() {
    while (static_cast<std::int64_t>(queue_->running()) < slots_) {
      const auto picked = queue_->dispatch(now_);
      if (!picked) break;
      auto it = requests_.find(picked->id);
      if (it == requests_.end() || it->second.state != State::kQueued) {
        ADD_FAILURE_AT(file_.c_str(), step_line_) << "dispatch returned id " << picked->id << ", which is not queued";
        break;
      }
      it->second.state = State::kRunning;
      it->second.dispatch_seq = ++dispatch_seq_;
      dispatched_ += (dispatched_.empty() ? "" : " ") + it->second.name;
    }
  }

  // --- expectations --------------------------------------------------------

  void expect(const std::string& key, const YAML::Node& key_node, const YAML::Node& value) {
    const char* file = file_.c_str();
    const int line = line_of(key_node);
    if (key == "expect_dispatched") {
      const std::string want = value.IsNull() ? "" : scalar(value, key.c_str());
      if (dispatched_ != want) {
        ADD_FAILURE_AT(file, line) << "expect_dispatched (since the previous one)\n  expected: \"" << want
                                   << "\"\n    actual: \"" << dispatched_ << "\"";
      }
      dispatched_.clear();
      return;
    }
    if (key == "expect_refused") {
      std::map<std::string, std::string> want;
      if (!value.IsNull()) {
        if (!value.IsMap()) error_at(value, "expect_refused: expected a map of id: reason");
        for (const auto& kv : value) want[scalar(kv.first, "id")] = scalar(kv.second, "reason");
      }
      if (want != refused_) {
        ADD_FAILURE_AT(file, line) << "expect_refused (since the previous one)\n  expected: " << show_map(want)
                                   << "\n    actual: " << show_map(refused_);
      }
      refused_.clear();
      return;
    }
    if (!value.IsMap()) error_at(value, key + ": expected a map");
    for (const auto& kv : value) {
      const int at = line_of(kv.first);
      if (key == "expect_retry_after") {
        const std::string name = scalar(kv.first, "id");
        const core::Duration want = duration(kv.second, "retry_after");
        auto it = retry_after_.find(name);
        if (it == retry_after_.end()) {
          ADD_FAILURE_AT(file, at) << "expect_retry_after: '" << name << "' was not refused";
        } else if (it->second < want || it->second >= want + std::chrono::milliseconds(1)) {
          ADD_FAILURE_AT(file, at) << "expect_retry_after " << name << "\n  expected: " << sched::show(want)
                                   << " (up to 1ms more)\n    actual: " << sched::show(it->second);
        }
      } else if (key == "expect_counter") {
        const std::uint32_t t = known_tenant(kv.first);
        const double want = number(kv.second, "counter");
        const double got = queue_->counter(t);
        if (std::abs(got - want) > 1e-9 * std::max(1.0, std::abs(want))) {
          ADD_FAILURE_AT(file, at) << "expect_counter " << tenant_names_[t] << "\n  expected: " << want
                                   << "\n    actual: " << got;
        }
      } else if (key == "expect_running" || key == "expect_queued" || key == "expect_in_flight") {
        const std::uint32_t t = known_tenant(kv.first);
        const std::int64_t want = integer(kv.second, key.c_str());
        std::int64_t got = 0;
        if (key == "expect_running") got = queue_->running(t);
        else if (key == "expect_queued") got = static_cast<std::int64_t>(queue_->queued(t));
        else if (!ledger_) error_at(kv.first, "expect_in_flight needs 'quotas'");
        else got = ledger_->in_flight(t);
        if (got != want) {
          ADD_FAILURE_AT(file, at) << key << " " << tenant_names_[t] << "\n  expected: " << want
                                   << "\n    actual: " << got;
        }
      } else if (key == "expect_size") {
        const std::string what = scalar(kv.first, "band");
        const std::int64_t want = integer(kv.second, "size");
        const std::int64_t got = static_cast<std::int64_t>(what == "all" ? queue_->size()
                                                                          : queue_->size(band_of(kv.first)));
        if (got != want) {
          ADD_FAILURE_AT(file, at) << "expect_size " << what << "\n  expected: " << want << "\n    actual: " << got;
        }
      } else {
        error_at(key_node, "unknown expectation '" + key + "'");
      }
    }
  }

  static std::string show_map(const std::map<std::string, std::string>& m) {
    std::string out = "{";
    for (const auto& [k, v] : m) out += (out.size() > 1 ? ", " : "") + k + ": " + v;
    return out + "}";
  }

  std::string file_;
  YAML::Node root_;
  std::unique_ptr<FairQueue> queue_;
  std::unique_ptr<tenancy::QuotaLedger> ledger_;
  std::vector<std::string> tenant_names_;
  std::vector<std::string> models_{"default"};
  std::int64_t slots_ = 1;
  core::TimePoint now_{};
  std::map<std::uint64_t, Request> requests_;  // by queue id
  std::unordered_map<std::string, std::uint64_t> by_name_;
  std::uint64_t dispatch_seq_ = 0;
  int step_line_ = 0;
  std::string dispatched_;                                 // since the last expect_dispatched
  std::map<std::string, std::string> refused_;             // since the last expect_refused
  std::map<std::string, core::Duration> retry_after_;      // every refusal
};

void run_scenario_text(const std::string& file, const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    ADD_FAILURE_AT(file.c_str(), e.mark.line + 1) << "scenario error: " << e.what();
    return;
  }
  Scenario(file, root).run();
}

void run_scenario_file(const std::filesystem::path& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path.string());
  } catch (const YAML::Exception& e) {
    ADD_FAILURE_AT(path.c_str(), e.mark.line + 1) << "scenario error: " << e.what();
    return;
  }
  Scenario(path.string(), root).run();
}

std::filesystem::path scenario_dir() { return std::filesystem::path(SLUICE_SOURCE_DIR) / "tests" / "scenarios"; }

std::vector<std::string> scenario_files() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(scenario_dir(), ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") files.push_back(entry.path().filename());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class SchedScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(SchedScenario, Holds) { run_scenario_file(scenario_dir() / GetParam()); }

INSTANTIATE_TEST_SUITE_P(File, SchedScenario, ::testing::ValuesIn(scenario_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = std::filesystem::path(info.param).stem().string();
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(SchedScenarioRunner, FindsTheScenarioFiles) { EXPECT_GE(scenario_files().size(), 10u) << scenario_dir(); }

/// The runner itself: a wrong expectation fails at the scenario's file:line.
TEST(SchedScenarioRunner, AWrongExpectationFailsAtItsLine) {
  const std::string text =
      "policy: fcfs\n"           // 1
      "slots: 2\n"               // 2
      "steps:\n"                 // 3
      "  - at: 0s\n"             // 4
      "    arrive: [a1, b1]\n"   // 5
      "  - expect_dispatched: \"b1 a1\"\n"  // 6
      "  - expect_dispatched: \"\"\n";      // 7
  ::testing::TestPartResultArray results;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    run_scenario_text("inline.yaml", text);
  }
  ASSERT_EQ(results.size(), 1);
  EXPECT_STREQ(results.GetTestPartResult(0).file_name(), "inline.yaml");
  EXPECT_EQ(results.GetTestPartResult(0).line_number(), 6);
  EXPECT_NE(std::string(results.GetTestPartResult(0).message()).find("actual: \"a1 b1\""), std::string::npos)
      << results.GetTestPartResult(0).message();
}

TEST(SchedScenarioRunner, AMalformedScenarioFailsAtItsLine) {
  const std::string text =
      "policy: fcfs\n"
      "steps:\n"
      "  - at: 0s\n"
      "    arrive: [a1]\n"
      "  - complete: [a2]\n";  // 5: never arrived
  ::testing::TestPartResultArray results;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    run_scenario_text("bad.yaml", text);
  }
  ASSERT_EQ(results.size(), 1);
  EXPECT_EQ(results.GetTestPartResult(0).line_number(), 5);
  EXPECT_NE(std::string(results.GetTestPartResult(0).message()).find("unknown request 'a2'"), std::string::npos)
      << results.GetTestPartResult(0).message();
}

}  // namespace
}  // namespace sluice::sched
