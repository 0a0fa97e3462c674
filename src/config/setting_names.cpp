// to_string() of the settings that are enums (see setting_names.hpp).
#include "config/setting_names.hpp"

#include "naq/errors.hpp"

namespace naq {

const char* to_string(StorageType storage) { return detail::kStorageNames.name(storage); }
const char* to_string(BackoffKind kind) { return detail::kBackoffNames.name(kind); }
const char* to_string(MissedRuns policy) { return detail::kMissedRunsNames.name(policy); }
const char* to_string(LogLevel level) { return detail::kLogLevelNames.name(level); }
const char* to_string(LogFormat format) { return detail::kLogFormatNames.name(format); }

MissedRuns missed_runs_from_string(const std::string& name) {
    return detail::kMissedRunsNames.parse<InvalidArgument>(name);
}

}  // namespace naq
