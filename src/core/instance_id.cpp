#include "core/instance_id.hpp"

#include <unistd.h>

#include <cstdio>
#include <random>

namespace naq::detail {

std::string make_instance_id(const std::string& name) {
    char host[256] = {0};
    ::gethostname(host, sizeof(host) - 1);
    std::mt19937 rng{std::random_device{}()};
    char suffix[8];
    std::snprintf(suffix, sizeof(suffix), "%06x", static_cast<unsigned>(rng() & 0xffffff));
    return (name.empty() ? std::string(host) : name) + "-" + std::to_string(::getpid()) + "-" + suffix;
}

}  // namespace naq::detail
