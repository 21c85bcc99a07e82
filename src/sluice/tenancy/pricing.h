#pragma once
/// What a request costs at its model's prices (US dollars per million
/// input and output tokens, from the config). Pure.
#include <cstdint>

#include "sluice/config/config.h"

namespace sluice::tenancy {

inline double cost_usd(const config::Model& model, std::int64_t prompt_tokens, std::int64_t completion_tokens) {
  return (model.input_price_per_million * static_cast<double>(prompt_tokens) +
          model.output_price_per_million * static_cast<double>(completion_tokens)) /
         1e6;
}

}  // namespace sluice::tenancy
