#include "core/instance_id.hpp"

#include <unistd.h>

#include <cstdio>
#include <random>

namespace naq::detail {

std::string host_name() {
    char host[256] = {0};
    ::gethostname(host, sizeof(host) - 1);
    return host;
}

std::string make_instance_id(const std::string& name) {
    std::mt19937 rng{std::random_device{}()};
    char suffix[8];
    std::snprintf(suffix, sizeof(suffix), "%06x", static_cast<unsigned>(rng() & 0xffffff));
    return (name.empty() ? host_name() : name) + "-" + std::to_string(::getpid()) + "-" + suffix;
}

}  // namespace naq::detail
