// Pieces every benchmark program shares: the frame of its main(), timing, the median of a set
// of samples, process memory, the machine line of a table's header, the formatting of a table's
// figures, and the check of a raw cnats call.
// (cnats calls outside src/connection are allowed here: bench/ is not the library.)
#pragma once

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "naq/connection.hpp"
#include "naq/local_server.hpp"

namespace naq::bench {

using Clock = std::chrono::steady_clock;

/// Seconds since `start`.
inline double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The frame of a benchmark's main(): parses the options (a bad one: the message and the usage,
/// exit code 2), then runs `measure(options, url)` against options.url, or against a private
/// nats-server of its own when that is empty. An error is printed as "<program>: <what>" (exit
/// code 1). The pooled connections close before the server goes, so nothing keeps reconnecting.
template <class Options, class Measure>
int run_benchmark(const char* program, int argc, char** argv, Options (*parse)(int, char**), void (*usage)(),
                  Measure&& measure) {
    Options o;
    try {
        o = parse(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", program, e.what());
        usage();
        return 2;
    }
    spdlog::set_level(spdlog::level::warn);
    try {
        std::unique_ptr<LocalNatsServer> server;
        std::string url = o.url;
        if (url.empty()) {
            server = std::make_unique<LocalNatsServer>();
            url = server->url();
        }
        measure(o, url);
        close_all_connections();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", program, e.what());
        return 1;
    }
    return 0;
}

/// The middle sample (the upper of the two middles for an even count); 0 when empty.
inline double median(std::vector<double> values) {
    if (values.empty()) return 0;
    auto mid = values.begin() + static_cast<long>(values.size() / 2);
    std::nth_element(values.begin(), mid, values.end());
    return *mid;
}

/// Resident set size of a process in kB (VmRSS), or 0 when unknown.
inline long rss_kb(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return 0;
}

/// A whole number with thousands separators: "1,234,567".
inline std::string grouped(double v) {
    auto n = static_cast<long long>(std::llround(v));
    std::string digits = std::to_string(n < 0 ? -n : n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

/// `s` padded with blanks to `width` columns of display (× µ → ≥ — are multi-byte in UTF-8), or
/// followed by one blank when it is that wide already.
inline std::string pad(const std::string& s, std::size_t width) {
    std::size_t shown = 0;
    for (unsigned char c : s) shown += (c & 0xC0) != 0x80;
    return shown >= width ? s + " " : s + std::string(width - shown, ' ');
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
