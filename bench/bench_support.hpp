// Pieces every benchmark program shares: the median of a set of samples, the machine line of a
// table's header, and the check of a raw cnats call.
// (cnats calls outside src/connection are allowed here: bench/ is not the library.)
#pragma once

#include <nats/nats.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace naq::bench {

/// The middle sample (the upper of the two middles for an even count); 0 when empty.
inline double median(std::vector<double> values) {
    if (values.empty()) return 0;
    auto mid = values.begin() + static_cast<long>(values.size() / 2);
    std::nth_element(values.begin(), mid, values.end());
    return *mid;
}

/// What a shell command prints, without trailing blanks and newlines.
inline std::string command_output(const char* cmd) {
    std::string out;
    std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(cmd, "r"), ::pclose);
    if (!p) return out;
    char buf[256];
    while (std::fgets(buf, sizeof(buf), p.get()) != nullptr) out += buf;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
}

/// "2 cores (<cpu model>), Debian 12.11, nats-server: v2.9.10, cnats 3.4.1"
inline std::string machine_description() {
    return std::to_string(std::thread::hardware_concurrency()) + " cores (" +
           command_output("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'") + "), Debian " +
           command_output("cat /etc/debian_version") + ", " + command_output("nats-server --version") + ", cnats " +
           nats_GetVersion();
}

/// Throws std::runtime_error naming `what` unless `s` is NATS_OK.
inline void ok(natsStatus s, const char* what, jsErrCode code = static_cast<jsErrCode>(0)) {
    if (s == NATS_OK) return;
    throw std::runtime_error(std::string("raw cnats: ") + what + ": " + natsStatus_GetText(s) +
                             (code != 0 ? " (jetstream error " + std::to_string(code) + ")" : ""));
}

}  // namespace naq::bench
