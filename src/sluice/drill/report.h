#pragma once
/// How `sluice drill` shows its results: per scenario a table of what was
/// measured beside the source design's SLA and our own targets, each with
/// PASS/MISS; a summary with one row per scenario; the same as Markdown
/// (for docs/recovery.md) and as JSON (--json). Pure.
#include <span>
#include <string>

#include "sluice/drill/outcome.h"

namespace sluice::drill {

/// Aligned plain text for a terminal.
std::string render_scenario_text(const ScenarioOutcome& outcome);
std::string render_summary_text(std::span<const ScenarioOutcome> outcomes);

/// GitHub-flavoured Markdown tables.
std::string render_scenario_markdown(const ScenarioOutcome& outcome);
std::string render_summary_markdown(std::span<const ScenarioOutcome> outcomes);

/// `{"scenarios":[{…}, …], "passed": bool}`, every figure and verdict.
std::string render_json(std::span<const ScenarioOutcome> outcomes);

}  // namespace sluice::drill
