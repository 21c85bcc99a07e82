#pragma once
/// How `sluice admin` shows the admin API's answers to a person: aligned
/// tables and "field  value" lists. `--json` bypasses all of this.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sluice::app::admin_output {

using nlohmann::json;

/// Columns padded to their widest cell, two spaces apart; an empty table
/// prints `empty` instead.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::string render(const std::string& empty = "(none)") const;
};

/// One cell: null or "" → "-", a boolean → yes/no, a number without
/// trailing zeros, a list joined by ",".
std::string cell(const json& value);
/// cell() of `object[field]`, "-" when absent.
std::string field(const json& object, const char* name);

/// "rpm=60 tpm=100000" (or "-" for none).
std::string limits_summary(const json& limits);
/// "100usd/month 1000000tokens/day" (or "-").
std::string budgets_summary(const json& budgets);

std::string tenants_table(const json& list);
std::string tenant_details(const json& tenant);
std::string keys_table(const json& list);
std::string key_details(const json& key);
std::string tokens_table(const json& list);
std::string usage_table(const json& report);
std::string audit_table(const json& list);
std::string remaining_details(const json& remaining);

}  // namespace sluice::app::admin_output
