#pragma once
/// Plain-text forms of budgets and prices, shared by check-config's summary,
/// reload diffs, refusal messages and the admin API. Pure functions.
#include <string>
#include <string_view>
#include <vector>

#include "sluice/config/config.h"

namespace sluice::config {

std::string_view to_string(BudgetUnit unit);      // "usd", "tokens"
std::string_view to_string(BudgetPeriod period);  // "day", "month", "total"

/// An amount in a budget's unit: "$12.50", "$0.000375", "120000 tokens".
std::string amount_text(BudgetUnit unit, double amount);

/// "$100.00 per month (soft 80%)", "50000 tokens in total (soft 90%)".
std::string budget_text(const Budget& budget);
/// Each budget's text joined by ", "; "none" for an empty list.
std::string budgets_text(const std::vector<Budget>& budgets);

/// "$0.5/$1.5 per million input/output tokens"; "free" when both are 0.
std::string pricing_text(const Model& model);

}  // namespace sluice::config
