#pragma once
// What every store engine must do, as checks run against SQLite (unit
// tests) and a real PostgreSQL (integration tests) alike.
#include "sluice/store/store.h"

namespace sluice::store::contract {

void tenants_round_trip(Store& store);
void keys_issue_rotate_revoke(Store& store);
void usage_ledger_and_rollups(Store& store);
void hostile_text_is_data(Store& store);
void admin_tokens_and_audit(Store& store);

}  // namespace sluice::store::contract
