#include "sluice/drill/fleet_view.h"

#include <algorithm>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace sluice::drill {

namespace {

using nlohmann::json;

/// Reads fields of one JSON object, remembering the first problem as
/// "path.field: expected …".
class FieldReader {
 public:
  FieldReader(const json& object, std::string path, std::string& error)
      : object_(object), path_(std::move(path)), error_(error) {}

  std::string text(const char* key, bool required) {
    const json* v = find(key, required);
    if (v == nullptr) return {};
    if (!v->is_string()) return fail<std::string>(key, "a string");
    return v->get<std::string>();
  }

  std::int64_t integer(const char* key, bool required) {
    const json* v = find(key, required);
    if (v == nullptr) return 0;
    if (!v->is_number_integer()) return fail<std::int64_t>(key, "an integer");
    return v->get<std::int64_t>();
  }

  std::optional<std::int64_t> optional_integer(const char* key) {
    const json* v = find(key, false);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number_integer()) return fail<std::optional<std::int64_t>>(key, "an integer or null");
    return v->get<std::int64_t>();
  }

  bool boolean(const char* key) {
    const json* v = find(key, false);
    if (v == nullptr) return false;
    if (!v->is_boolean()) return fail<bool>(key, "a boolean");
    return v->get<bool>();
  }

  StandbyCounts counts(const char* key) {
    const json* v = find(key, false);
    if (v == nullptr) return {};
    if (!v->is_object()) return fail<StandbyCounts>(key, "an object {hot, warm, cold}");
    FieldReader inner(*v, fmt::format("{}.{}", path_, key), error_);
    StandbyCounts c;
    c.hot = static_cast<int>(inner.integer("hot", false));
    c.warm = static_cast<int>(inner.integer("warm", false));
    c.cold = static_cast<int>(inner.integer("cold", false));
    return c;
  }

 private:
  /// The value, or nullptr when absent or null (an error when required).
  const json* find(const char* key, bool required) {
    const auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      if (required && error_.empty()) error_ = fmt::format("{}.{}: missing", path_, key);
      return nullptr;
    }
    return &*it;
  }

  template <typename T>
  T fail(const char* key, const char* expected) {
    if (error_.empty()) error_ = fmt::format("{}.{}: expected {}", path_, key, expected);
    return T{};
  }

  const json& object_;
  std::string path_;
  std::string& error_;
};

/// Calls `read(reader)` for each object of the array `key` (absent = none).
template <typename Read>
void each_object(const json& doc, const char* key, std::string& error, Read read) {
  const auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return;
  if (!it->is_array()) {
    if (error.empty()) error = fmt::format("{}: expected an array", key);
    return;
  }
  for (std::size_t i = 0; i < it->size() && error.empty(); ++i) {
    const json& item = (*it)[i];
    const std::string path = fmt::format("{}[{}]", key, i);
    if (!item.is_object()) {
      error = path + ": expected an object";
      return;
    }
    FieldReader reader(item, path, error);
    read(reader);
  }
}

}  // namespace

const FleetModel* FleetView::model(std::string_view name) const {
  const auto it = std::find_if(models.begin(), models.end(), [name](const FleetModel& m) { return m.name == name; });
  return it == models.end() ? nullptr : &*it;
}

const FleetInstance* FleetView::instance(std::string_view id) const {
  const auto it = std::find_if(instances.begin(), instances.end(), [id](const FleetInstance& i) { return i.id == id; });
  return it == instances.end() ? nullptr : &*it;
}

std::int64_t FleetView::last_failover_seq() const {
  std::int64_t last = 0;
  for (const auto& f : failovers) last = std::max(last, f.seq);
  return last;
}

std::expected<FleetView, std::string> parse_fleet_view(std::string_view text) {
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::unexpected(std::string("the fleet report is not a JSON object"));
  FleetView view;
  std::string error;
  each_object(doc, "instances", error, [&](FieldReader& r) {
    FleetInstance i;
    i.id = r.text("id", true);
    i.model = r.text("model", true);
    i.state = r.text("state", true);
    i.temperature = r.text("temperature", false);
    i.role = r.text("role", false);
    i.node = r.text("node", false);
    i.zone = r.text("zone", false);
    i.port = static_cast<int>(r.integer("port", false));
    i.pid = static_cast<int>(r.integer("pid", false));
    view.instances.push_back(std::move(i));
  });
  each_object(doc, "models", error, [&](FieldReader& r) {
    FleetModel m;
    m.name = r.text("name", true);
    m.serving = static_cast<int>(r.integer("serving", false));
    m.hot_min = static_cast<int>(r.integer("hot_min", false));
    m.hot_max = static_cast<int>(r.integer("hot_max", false));
    m.standby = r.counts("standby");
    m.standby_policy = r.counts("standby_policy");
    m.settled = r.boolean("settled");
    view.models.push_back(std::move(m));
  });
  each_object(doc, "failovers", error, [&](FieldReader& r) {
    Failover f;
    f.seq = r.integer("seq", true);
    f.model = r.text("model", true);
    f.instance = r.text("instance", true);
    f.cause = r.text("cause", false);
    f.replacement = r.text("replacement", false);
    f.promoted_from = r.text("promoted_from", false);
    f.detected_at_ms = r.integer("detected_at_ms", true);
    f.recovered_at_ms = r.optional_integer("recovered_at_ms");
    f.restored_at_ms = r.optional_integer("restored_at_ms");
    view.failovers.push_back(std::move(f));
  });
  if (!error.empty()) return std::unexpected(error);
  return view;
}

}  // namespace sluice::drill
