/// A tenant's `budgets` list and a model's `pricing` (budget_text.h has
/// their plain-text forms).
#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>

#include "sluice/config/budget_text.h"
#include "sluice/config/sections.h"
#include "sluice/config/suggest.h"

namespace sluice::config {
namespace {

constexpr std::array<std::string_view, 2> kUnits = {"usd", "tokens"};
constexpr std::array<std::string_view, 3> kPeriods = {"day", "month", "total"};

std::optional<double> parse_number(std::string_view text) {
  if (text.starts_with('+')) text.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

/// A number >= 0 (prices, limits: 0 is a valid "nothing").
std::optional<double> non_negative(Reader& reader, const MapReader& m, std::string_view name) {
  if (!m.has(name)) return std::nullopt;
  const YAML::Node node = m.get(name);
  const std::optional<double> value = node.IsScalar() ? parse_number(node.Scalar()) : std::nullopt;
  if (!value || *value < 0) {
    reader.fail(m.location_of_child(name), m.key_of(name),
                fmt::format("expected a number of at least 0, got {}", describe(node)));
    return std::nullopt;
  }
  return value;
}

/// `soft`: a fraction of the limit (0.8) or a percentage ("80%").
std::optional<double> soft_fraction(Reader& reader, const MapReader& m) {
  if (!m.has("soft")) return std::nullopt;
  const YAML::Node node = m.get("soft");
  std::optional<double> value;
  if (node.IsScalar()) {
    std::string_view text = node.Scalar();
    if (text.ends_with('%')) {
      text.remove_suffix(1);
      value = parse_number(text);
      if (value) *value /= 100.0;
    } else {
      value = parse_number(text);
    }
  }
  if (!value || *value <= 0 || *value > 1) {
    reader.fail(m.location_of_child("soft"), m.key_of("soft"),
                fmt::format("expected a fraction of the limit above 0, at most 1 (0.8), or a percentage (\"80%\"), "
                            "got {}",
                            describe(node)));
    return std::nullopt;
  }
  return value;
}

std::optional<Budget> read_budget(Reader& reader, const YAML::Node& node, const std::string& key, Location at) {
  MapReader m(reader, node, key, at, {"limit", "unit", "period", "soft"});
  if (!m.is_map()) return std::nullopt;
  Budget budget;
  bool ok = m.require("limit");
  if (auto limit = non_negative(reader, m, "limit")) budget.limit = *limit;
  else ok = false;
  // No default unit: a token budget read as dollars (or the reverse) is
  // wrong by orders of magnitude.
  if (m.require("unit", "say usd or tokens")) {
    if (auto text = m.string("unit")) {
      if (*text == "usd") budget.unit = BudgetUnit::kUsd;
      else if (*text == "tokens") budget.unit = BudgetUnit::kTokens;
      else {
        reader.fail(m.location_of_child("unit"), m.key_of("unit"), expected_one_of(kUnits, *text));
        ok = false;
      }
    } else {
      ok = false;
    }
  } else {
    ok = false;
  }
  if (auto text = m.string("period")) {
    if (*text == "day") budget.period = BudgetPeriod::kDay;
    else if (*text == "month") budget.period = BudgetPeriod::kMonth;
    else if (*text == "total") budget.period = BudgetPeriod::kTotal;
    else {
      reader.fail(m.location_of_child("period"), m.key_of("period"), expected_one_of(kPeriods, *text));
      ok = false;
    }
  }
  if (m.has("soft")) {
    if (auto soft = soft_fraction(reader, m)) budget.soft_fraction = *soft;
    else ok = false;
  }
  if (!ok) return std::nullopt;
  return budget;
}

}  // namespace

void read_budgets(Reader& reader, const MapReader& parent, std::vector<Budget>& out) {
  if (!parent.has("budgets")) return;
  const YAML::Node list = parent.get("budgets");
  const std::string key = parent.key_of("budgets");
  if (!reader.expect_list(list, key, parent.location_of_child("budgets"))) return;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item = fmt::format("{}[{}]", key, i);
    auto budget = read_budget(reader, list[i], item, reader.where(item));
    if (!budget) continue;
    // One budget per unit and period: two would only mean the smaller one.
    for (const Budget& b : out) {
      if (b.unit == budget->unit && b.period == budget->period) {
        reader.fail(reader.where(item), item,
                    fmt::format("a second {} budget per {}: keep one (the smaller limit is the one that counts)",
                                to_string(b.unit), to_string(b.period)));
        budget.reset();
        break;
      }
    }
    if (budget) out.push_back(*budget);
  }
}

void read_pricing(Reader& reader, const MapReader& model, Model& out) {
  if (!model.has("pricing")) return;
  MapReader p = model.child("pricing", {"input_per_million", "output_per_million"});
  if (!p.is_map()) return;
  if (auto v = non_negative(reader, p, "input_per_million")) out.input_price_per_million = *v;
  if (auto v = non_negative(reader, p, "output_per_million")) out.output_price_per_million = *v;
}

// ------------------------------------------------------------- text ----

std::string_view to_string(BudgetUnit unit) { return unit == BudgetUnit::kUsd ? "usd" : "tokens"; }

std::string_view to_string(BudgetPeriod period) {
  switch (period) {
    case BudgetPeriod::kDay: return "day";
    case BudgetPeriod::kMonth: return "month";
    case BudgetPeriod::kTotal: return "total";
  }
  return "total";
}

std::string amount_text(BudgetUnit unit, double amount) {
  if (unit == BudgetUnit::kTokens) return fmt::format("{:.0f} tokens", amount);
  // Cents where that says it all; small sums keep their digits (a request
  // on a cheap model costs fractions of a cent).
  if (amount == 0 || std::fabs(amount) >= 0.01) return fmt::format("${:.2f}", amount);
  std::string text = fmt::format("{:.8f}", amount);
  while (text.ends_with('0')) text.pop_back();
  return "$" + text;
}

std::string budget_text(const Budget& budget) {
  const std::string when = budget.period == BudgetPeriod::kTotal ? std::string("in total")
                                                                 : fmt::format("per {}", to_string(budget.period));
  return fmt::format("{} {} (soft {}%)", amount_text(budget.unit, budget.limit), when,
                     std::round(budget.soft_fraction * 1000.0) / 10.0);
}

std::string budgets_text(const std::vector<Budget>& budgets) {
  if (budgets.empty()) return "none";
  std::vector<std::string> parts;
  for (const Budget& b : budgets) parts.push_back(budget_text(b));
  return join(parts);
}

std::string pricing_text(const Model& model) {
  if (model.input_price_per_million == 0 && model.output_price_per_million == 0) return "free";
  return fmt::format("${}/${} per million input/output tokens", model.input_price_per_million,
                     model.output_price_per_million);
}

}  // namespace sluice::config
