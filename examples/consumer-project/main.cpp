// Enqueues one `echo` job with an installed naq and logs its id; with --wait, also waits for a
// worker (`naq worker hello`) to run it and logs the result (exit 1 if the job failed).
//   enqueue_hello [URL] [--wait]
#include <naq/naq.hpp>

#include <spdlog/spdlog.h>

#include <string>

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    try {
        naq::Config cfg = naq::Config::load();  // defaults < naq.yaml < NAQ_* env
        if (argc > 1 && std::string(argv[1]) != "--wait") cfg.set("nats.servers", argv[1], "argv");
        bool wait = std::string(argv[argc - 1]) == "--wait";

        naq::Queue hello{"hello", cfg};
        std::string id = hello.enqueue("echo", {{"greeting", "hello from naq " + std::string(naq::kVersion)}},
                                       {.max_attempts = 3, .timeout = 10s});
        spdlog::info("enqueued job {}", id);
        if (wait) {
            naq::JobResult r = naq::ResultStore{cfg}.wait(id, 30s);
            spdlog::info("result: {}", r.ok ? r.result.dump() : r.error);
            return r.ok ? 0 : 1;
        }
        return 0;
    } catch (const naq::Error& e) {
        spdlog::error("enqueue_hello: {}", e.what());
        return 1;
    }
}
