// MetricsServer: GET /metrics over HTTP (cpp-httplib), one listener thread, one handler thread.
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <thread>

#include "naq/errors.hpp"
#include "naq/metrics.hpp"

namespace naq::metrics {

struct MetricsServer::Impl {
    httplib::Server server;
    std::thread thread;
};

MetricsServer::MetricsServer(int port, std::string host, Registry& source) : impl_(std::make_unique<Impl>()) {
    auto& server = impl_->server;
    server.new_task_queue = [] { return new httplib::ThreadPool(1); };
    // httplib's default adds SO_REUSEPORT, which lets a second process share the port (and split
    // the scrapes); SO_REUSEADDR alone allows a quick restart but refuses a port in use.
    server.set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    server.Get("/metrics", [&source](const httplib::Request&, httplib::Response& res) {
        res.set_content(source.render(), "text/plain; version=0.0.4; charset=utf-8");
    });
    server.Get("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("naq metrics: GET /metrics\n", "text/plain");
    });
    if (port == 0) {
        port_ = server.bind_to_any_port(host);
        if (port_ <= 0) throw Error("metrics: cannot listen on " + host + " (any port)");
    } else {
        if (!server.bind_to_port(host, port)) {
            throw Error("metrics: cannot listen on " + host + ":" + std::to_string(port) + " (in use?)");
        }
        port_ = port;
    }
    impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
    // stop() only takes effect once the listener runs; wait for it so a quick destruction works.
    for (int i = 0; i < 2000 && !server.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    spdlog::info("metrics: serving http://{}:{}/metrics", host, port_);
}

MetricsServer::~MetricsServer() {
    impl_->server.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace naq::metrics
