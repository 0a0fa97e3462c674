// Ids of long-running processes (workers, schedulers). Private to libnaq.
#pragma once

#include <string>

namespace naq::detail {

/// This machine's host name (empty if it has none).
std::string host_name();

/// "<name or host>-<pid>-<6 hex>": host and pid say where it runs, the random suffix keeps two
/// instances in one process (tests, embedding) apart.
std::string make_instance_id(const std::string& name);

}  // namespace naq::detail
