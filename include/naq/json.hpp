// naq::Json — the dynamic JSON type of job arguments and results: nlohmann's ordered_json, so
// an object keeps the order of its keys as they were sent (a JavaScript producer's
// {"x":1,"n":null,"f":1.5} comes back from `echo` as it went in). Two objects with the same
// members in another order compare unequal; naq's own records are written in a fixed order.
#pragma once

#include <nlohmann/json.hpp>

namespace naq {
using Json = nlohmann::ordered_json;
}  // namespace naq
