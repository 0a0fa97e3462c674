// The words of the settings that are enums, one table each (naq.yaml, NAQ_* variables, flags,
// and the job envelope's backoff kind). Private to libnaq.
#pragma once

#include "config/enum_names.hpp"
#include "naq/config.hpp"

namespace naq::detail {

inline constexpr EnumNames<StorageType, 2> kStorageNames{"storage type",
                                                         {{
                                                             {StorageType::file, "file"},
                                                             {StorageType::memory, "memory"},
                                                         }}};

inline constexpr EnumNames<BackoffKind, 3> kBackoffNames{"backoff",
                                                         {{
                                                             {BackoffKind::fixed, "fixed"},
                                                             {BackoffKind::linear, "linear"},
                                                             {BackoffKind::exponential, "exponential"},
                                                         }}};

inline constexpr EnumNames<MissedRuns, 2> kMissedRunsNames{"missed runs policy",
                                                           {{
                                                               {MissedRuns::once, "once"},
                                                               {MissedRuns::skip, "skip"},
                                                           }}};

inline constexpr EnumNames<LogLevel, 7> kLogLevelNames{"log level",
                                                       {{
                                                           {LogLevel::trace, "trace"},
                                                           {LogLevel::debug, "debug"},
                                                           {LogLevel::info, "info"},
                                                           {LogLevel::warn, "warn"},
                                                           {LogLevel::error, "error"},
                                                           {LogLevel::critical, "critical"},
                                                           {LogLevel::off, "off"},
                                                       }}};

inline constexpr EnumNames<LogFormat, 2> kLogFormatNames{"log format",
                                                         {{
                                                             {LogFormat::text, "text"},
                                                             {LogFormat::json, "json"},
                                                         }}};

}  // namespace naq::detail
