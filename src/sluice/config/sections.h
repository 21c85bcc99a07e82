#pragma once
/// The steps of loading (internal to the config area). Each reads one
/// top-level section into `config`, recording errors in the Reader; none
/// stops at the first error. `validate` then checks the whole: duplicates,
/// references between sections, conflicting listeners.
#include "sluice/config/config.h"
#include "sluice/config/yaml_reader.h"

namespace sluice::config {

void read_listen(Reader& reader, const MapReader& root, ListenConfig& listen);
void read_server(Reader& reader, const MapReader& root, ServerConfig& server);
void read_tenants(Reader& reader, const MapReader& root, std::vector<Tenant>& tenants);
void read_models(Reader& reader, const MapReader& root, std::vector<Model>& models);
void validate(Reader& reader, const Config& config);

}  // namespace sluice::config
