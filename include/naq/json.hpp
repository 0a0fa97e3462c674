// naq::Json — the dynamic JSON type of job arguments and results (nlohmann::json).
#pragma once

#include <nlohmann/json.hpp>

namespace naq {
using Json = nlohmann::json;
}  // namespace naq
