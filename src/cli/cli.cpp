#include "cli.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>

#include "naq/connection.hpp"
#include "naq/errors.hpp"

namespace naq::cli {

Config Globals::load_config() const {
    Config config = Config::load(config_path);
    if (!servers.empty()) {
        std::string joined;
        for (const auto& s : servers) joined += (joined.empty() ? "" : ",") + s;
        config.set("nats.servers", joined, "flag:--url");
    }
    if (prefix) config.set("jetstream.prefix", *prefix, "flag:--prefix");
    if (log_level) config.set("log.level", *log_level, "flag:--log-level");
    for (const auto& kv : overrides) {
        auto eq = kv.find('=');
        // The text is not echoed: it may be a secret with a typo (--set nats.password:Hunter2).
        if (eq == std::string::npos) throw ConfigError("flag --set: expected key=value (e.g. worker.concurrency=32)");
        config.set(kv.substr(0, eq), kv.substr(eq + 1), "flag:--set");
    }
    config.validate();
    set_default_config(config);
    setup_logging(config);
    for (const auto& warning : config.warnings) spdlog::warn("config: {}", warning);
    return config;
}

SignalStopper::SignalStopper(std::function<void()> on_first) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR2);  // our own wake-up when the command ends normally
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    thread_ = std::thread([set, on_first = std::move(on_first)] {
        int sig = 0;
        sigwait(&set, &sig);
        if (sig == SIGUSR2) return;
        // Through the log, so that log.format=json keeps every stderr line JSON.
        spdlog::warn("{}: stopping gracefully (again to exit now)", strsignal(sig));
        on_first();
        sigwait(&set, &sig);
        if (sig == SIGUSR2) return;
        spdlog::warn("second signal: exiting now");
        ::_exit(130);
    });
}

SignalStopper::~SignalStopper() {
    pthread_kill(thread_.native_handle(), SIGUSR2);
    thread_.join();
}

void stop_at_once_when_refused() {
    on_permission_violation([](const std::string& server_text) {
        // On a cnats thread, while the command waits for its answer: nothing to unwind to.
        std::cerr << "naq: permission denied: the server refused: " << server_text << "\n";
        std::_Exit(kNotPermitted);
    });
}

void keep_running_when_refused() { on_permission_violation({}); }

int run_guarded(const std::function<int()>& body) {
    try {
        return body();
    } catch (const ConfigError& e) {
        std::cerr << "naq: config error: " << e.what() << "\n";
        return kUsage;
    } catch (const InvalidArgument& e) {
        std::cerr << "naq: " << e.what() << "\n";
        return kUsage;
    } catch (const NotFound& e) {
        std::cerr << "naq: not found: " << e.what() << "\n";
        return kNotFound;
    } catch (const PermissionDenied& e) {
        std::cerr << "naq: permission denied: " << e.what() << "\n";
        return kNotPermitted;
    } catch (const Timeout& e) {
        std::cerr << "naq: timed out: " << e.what() << "\n";
        return kTimedOut;
    } catch (const ConnectionError& e) {
        std::cerr << "naq: cannot reach NATS: " << e.what() << "\n";
        return kUnreachable;
    } catch (const std::exception& e) {
        std::cerr << "naq: " << e.what() << "\n";
        return kFailed;
    }
}

namespace {

// %* in a pattern: the message as a JSON string (quoted, escaped; bytes that are not UTF-8
// become U+FFFD), so a job's error text cannot break a JSON log line.
class JsonMessageFlag : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        const std::string text = nlohmann::json(std::string(msg.payload.data(), msg.payload.size()))
                                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        dest.append(text.data(), text.data() + text.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonMessageFlag>(); }
};

}  // namespace

void setup_logging(const Config& config) {
    static auto logger = [] {
        auto l = spdlog::stderr_color_mt("naq");
        spdlog::set_default_logger(l);
        return l;
    }();
    spdlog::set_level(spdlog::level::from_str(to_string(config.log.level)));
    if (config.log.format == LogFormat::json) {
        auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
        formatter->add_flag<JsonMessageFlag>('*').set_pattern(
            R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":%*})");
        spdlog::set_formatter(std::move(formatter));
    } else {
        spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
    }
}

std::string terminal_safe(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    auto escape = [&out](unsigned char c) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\x%02x", c);
        out += buf;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7f) {
            escape(c);
        } else if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
            escape(static_cast<unsigned char>(text[++i]));  // U+0080..U+009F: C1 controls (CSI is U+009B)
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& given) {
    std::vector<std::vector<std::string>> rows;
    rows.reserve(given.size());
    for (const auto& row : given) {
        std::vector<std::string>& safe = rows.emplace_back();
        for (const auto& cell : row) safe.push_back(terminal_safe(cell));
    }
    std::vector<std::size_t> width(header.size());
    for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    auto print_row = [&](const std::vector<std::string>& row) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            std::cout << row[i];
            if (i + 1 < row.size()) std::cout << std::string(width[i] - row[i].size() + 2, ' ');
        }
        std::cout << "\n";
    };
    print_row(header);
    for (const auto& row : rows) print_row(row);
}

std::string format_time(int64_t ms) {
    if (ms == 0) return "-";
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof(out), "%s.%03dZ", buf, static_cast<int>(ms % 1000));
    return out;
}

}  // namespace naq::cli
