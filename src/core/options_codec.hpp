// Job options as records other than the envelope store them (a schedule's, a batch callback's):
// only the options that are set, in the envelope's field names.
#pragma once

#include <string_view>

#include "naq/job.hpp"
#include "naq/json.hpp"

namespace naq::codec {

/// {"max_attempts","backoff","timeout_ms","result_ttl_ms","depends_on"}, each only when set.
Json options_json(const EnqueueOptions& options);
/// Throws SerializationError naming `owner` ("schedule options.max_attempts must be ...").
EnqueueOptions options_from(const Json& json, std::string_view owner);

}  // namespace naq::codec
