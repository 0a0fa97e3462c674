// Dashboard: the HTTP server (cpp-httplib) — static pages, the JSON API of api.hpp, the shared
// event stream as Server-Sent Events — and the access rules of access.hpp applied before any
// route runs.
#include "naq/dashboard.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "core/json_fields.hpp"
#include "dashboard/access.hpp"
#include "dashboard/api.hpp"
#include "dashboard/assets.hpp"
#include "naq/errors.hpp"
#include "naq/version.hpp"

namespace naq {

namespace {

using dashboard::Access;

constexpr int kMaxEventStreams = 48;  // each open page holds one server thread
constexpr int kThreads = kMaxEventStreams + 16;
constexpr const char* kPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

bool is_loopback(const std::string& host) { return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0; }

std::pair<std::string, int> parse_listen(const std::string& listen) {
    const auto colon = listen.rfind(':');
    const std::string what = "--listen '" + listen + "': ";
    if (colon == std::string::npos || colon == 0) throw InvalidArgument(what + "expected host:port (127.0.0.1:8080)");
    std::string host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    int port = -1;
    try {
        std::size_t used = 0;
        port = std::stoi(listen.substr(colon + 1), &used);
        if (used != listen.size() - colon - 1) port = -1;
    } catch (const std::exception&) {
        port = -1;
    }
    if (port < 0 || port > 65535) throw InvalidArgument(what + "the port must be a number from 0 to 65535");
    return {host, port};
}

void send_json(httplib::Response& res, int status, const Json& body) {
    res.status = status;
    res.set_header("Cache-Control", "no-store");
    res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

// Runs an API handler: its answer as JSON, or its error as {"error": …} with the status that
// says what kind of error it was.
template <class Handler>
void answer(httplib::Response& res, Handler&& handler) {
    int status = 500;
    std::string error;
    try {
        send_json(res, 200, handler());
        return;
    } catch (const InvalidArgument& e) {
        status = 400, error = e.what();
    } catch (const SerializationError& e) {
        status = 400, error = e.what();
    } catch (const NotFound& e) {
        status = 404, error = e.what();
    } catch (const Conflict& e) {
        status = 409, error = e.what();
    } catch (const PermissionDenied& e) {
        status = 403, error = e.what();
    } catch (const ConnectionError& e) {
        status = 503, error = e.what();
    } catch (const Timeout& e) {
        status = 503, error = e.what();
    } catch (const std::exception& e) {
        error = e.what();
    }
    if (status >= 500) spdlog::warn("dashboard: {}", error);
    send_json(res, status, {{"error", error}});
}

Json body_of(const httplib::Request& req) {
    if (req.body.empty()) return Json::object();
    Json body = json_fields::parse_value(req.body, "request body");
    if (!body.is_object()) throw InvalidArgument("request body: expected a JSON object");
    return body;
}

const dashboard::Asset& asset(std::string_view path) {
    for (const auto& a : dashboard::embedded_assets()) {
        if (a.path == path) return a;
    }
    throw Error("dashboard: asset " + std::string(path) + " is not embedded");
}

}  // namespace

struct Dashboard::Impl {
    Impl(const Config& c, DashboardOptions o)
        : config(c),
          options(std::move(o)),
          access(options.token, options.read_only),
          feed(config),
          history(config),
          api(config, feed, history) {}

    void routes();
    httplib::Server::HandlerResponse guard(const httplib::Request& req, httplib::Response& res);
    void serve(httplib::Response& res, std::string_view path, const char* type);

    Config config;
    DashboardOptions options;
    std::string host;
    int port = 0;
    Access access;
    dashboard::LiveFeed feed;
    dashboard::RateHistory history;
    dashboard::Api api;
    httplib::Server server;
    std::atomic<int> event_streams{0};
};

Dashboard::Dashboard(const Config& config, DashboardOptions options) {
    auto [host, port] = parse_listen(options.listen);
    if (!is_loopback(host) && options.token.empty()) {
        throw InvalidArgument("--listen " + options.listen +
                              ": a dashboard reachable from other hosts needs a token (--token-file or "
                              "NAQ_DASHBOARD_TOKEN); without one, listen on 127.0.0.1");
    }
    impl_ = std::make_unique<Impl>(config, std::move(options));
    impl_->host = host;
    auto& server = impl_->server;
    server.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
    server.set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    impl_->routes();
    if (port == 0) {
        impl_->port = server.bind_to_any_port(host);
        if (impl_->port <= 0) throw Error("dashboard: cannot listen on " + host);
    } else {
        if (!server.bind_to_port(host, port)) {
            throw Error("dashboard: cannot listen on " + impl_->options.listen + " (in use?)");
        }
        impl_->port = port;
    }
}

Dashboard::~Dashboard() { stop(); }

std::string Dashboard::url() const {
    const bool v6 = impl_->host.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + impl_->host + "]" : impl_->host) + ":" + std::to_string(impl_->port) + "/";
}

int Dashboard::port() const { return impl_->port; }

void Dashboard::run() {
    spdlog::info("dashboard: serving {}{}", url(), impl_->options.read_only ? " (read-only)" : "");
    impl_->server.listen_after_bind();
}

void Dashboard::stop() {
    impl_->feed.stop();  // wakes the event streams, so that their threads can end
    impl_->server.stop();
}

// Applied before every route: security headers on everything; /api/ needs a caller, and a
// change needs a writable dashboard and, from a page, the CSRF token.
httplib::Server::HandlerResponse Dashboard::Impl::guard(const httplib::Request& req, httplib::Response& res) {
    using Handled = httplib::Server::HandlerResponse;
    res.set_header("Content-Security-Policy", kPolicy);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Referrer-Policy", "no-referrer");
    if (req.path.rfind("/api/", 0) != 0) return Handled::Unhandled;
    const Access::Caller caller = access.caller(req.get_header_value("Authorization"), req.get_header_value("Cookie"));
    if (caller == Access::Caller::nobody) {
        send_json(res, 401, {{"error", "sign in first: the dashboard needs its token"}});
        return Handled::Handled;
    }
    if (req.method != "GET" && req.method != "HEAD") {
        if (access.read_only()) {
            send_json(res, 403, {{"error", "this dashboard is read-only"}});
            return Handled::Handled;
        }
        if (caller == Access::Caller::browser && !access.csrf_matches(req.get_header_value("X-CSRF-Token"))) {
            send_json(res, 403, {{"error", "missing or wrong X-CSRF-Token (GET /api/session gives it)"}});
            return Handled::Handled;
        }
    }
    return Handled::Unhandled;
}

void Dashboard::Impl::serve(httplib::Response& res, std::string_view path, const char* type) {
    const auto& a = asset(path);
    res.set_header("Cache-Control", "no-cache");
    res.set_content(a.bytes.data(), a.bytes.size(), type);
}

void Dashboard::Impl::routes() {
    using httplib::Request;
    using httplib::Response;
    server.set_pre_routing_handler([this](const Request& req, Response& res) { return guard(req, res); });

    // ---- pages
    server.Get("/", [this](const Request& req, Response& res) {
        if (access.caller(req.get_header_value("Authorization"), req.get_header_value("Cookie")) ==
            Access::Caller::nobody) {
            res.set_redirect("/login", 303);
            return;
        }
        serve(res, "/index.html", "text/html; charset=utf-8");
    });
    server.Get("/login",
               [this](const Request&, Response& res) { serve(res, "/login.html", "text/html; charset=utf-8"); });
    server.Get("/app.js",
               [this](const Request&, Response& res) { serve(res, "/app.js", "text/javascript; charset=utf-8"); });
    server.Get("/app.css",
               [this](const Request&, Response& res) { serve(res, "/app.css", "text/css; charset=utf-8"); });
    server.Post("/login", [this](const Request& req, Response& res) {
        if (!access.needs_sign_in()) {
            res.set_redirect("/", 303);
            return;
        }
        if (auto cookie = access.sign_in(req.get_param_value("token"))) {
            res.set_header("Set-Cookie", *cookie);
            res.set_redirect("/", 303);
            return;
        }
        // A wrong token costs the guesser time.
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        res.set_redirect("/login?failed=1", 303);
    });

    // ---- API (docs/dashboard.md)
    server.Get("/api/session", [this](const Request&, Response& res) {
        answer(res, [&] {
            return Json{{"read_only", access.read_only()},
                        {"csrf", access.csrf()},
                        {"version", std::string(kVersion)},
                        {"prefix", config.jetstream.prefix}};
        });
    });
    server.Get("/api/overview", [this](const Request&, Response& res) { answer(res, [&] { return api.overview(); }); });
    server.Get("/api/workers", [this](const Request&, Response& res) { answer(res, [&] { return api.workers(); }); });
    server.Get("/api/schedules",
               [this](const Request&, Response& res) { answer(res, [&] { return api.schedules(); }); });
    server.Post("/api/queues/(.+)/purge", [this](const Request& req, Response& res) {
        answer(res, [&] { return api.purge_queue(req.matches[1]); });
    });
    server.Post("/api/queues/(.+)/pause", [this](const Request& req, Response& res) {
        answer(res, [&] { return api.pause_queue(req.matches[1], body_of(req)); });
    });
    server.Post("/api/queues/(.+)/resume", [this](const Request& req, Response& res) {
        answer(res, [&] { return api.resume_queue(req.matches[1]); });
    });
    server.Get("/api/queues/(.+)",
               [this](const Request& req, Response& res) { answer(res, [&] { return api.queue(req.matches[1]); }); });
    server.Post("/api/jobs/(.+)/cancel", [this](const Request& req, Response& res) {
        answer(res, [&] { return api.cancel_job(req.matches[1]); });
    });
    server.Get("/api/jobs/(.+)",
               [this](const Request& req, Response& res) { answer(res, [&] { return api.job(req.matches[1]); }); });
    server.Get("/api/dead", [this](const Request& req, Response& res) {
        answer(res, [&] {
            DeadLetterFilter filter{req.get_param_value("queue"), req.get_param_value("task"),
                                    req.get_param_value("reason")};
            auto number = [&](const char* name, uint64_t fallback) -> uint64_t {
                const std::string text = req.get_param_value(name);
                if (text.empty()) return fallback;
                // Digits only: stoull would take "-1" and wrap it to the largest number.
                if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
                    try {
                        return std::stoull(text);
                    } catch (const std::out_of_range&) {}
                }
                throw InvalidArgument(std::string(name) + ": '" + text + "' is not a number");
            };
            return api.dead_letters(filter, number("after", 0), number("limit", 50));
        });
    });
    server.Post("/api/dead/requeue",
                [this](const Request& req, Response& res) { answer(res, [&] { return api.requeue(body_of(req)); }); });
    server.Post("/api/dead/purge", [this](const Request& req, Response& res) {
        answer(res, [&] { return api.purge_dead(body_of(req)); });
    });
    server.Post("/api/schedules/(.+)/(pause|resume|cancel)", [this](const Request& req, Response& res) {
        answer(res, [&] { return api.schedule_action(req.matches[1], req.matches[2]); });
    });

    // ---- live: the shared event feed as Server-Sent Events
    server.Get("/api/events/stream", [this](const Request&, Response& res) {
        if (event_streams.fetch_add(1) >= kMaxEventStreams) {
            event_streams.fetch_sub(1);
            send_json(res, 503, {{"error", "too many open event streams"}});
            return;
        }
        struct Stream {
            uint64_t cursor = 0;
            bool started = false;
        };
        auto stream = std::make_shared<Stream>();
        stream->cursor = feed.newest();
        res.set_header("Cache-Control", "no-store");
        res.set_chunked_content_provider(
            "text/event-stream",
            [this, stream](std::size_t, httplib::DataSink& sink) {
                std::string out;
                if (!stream->started) {
                    out = "retry: 3000\n\n";  // the browser reconnects after 3 s
                    stream->started = true;
                } else {
                    if (feed.stopping()) return false;
                    const auto events = feed.wait_after(stream->cursor, std::chrono::seconds(15));
                    if (feed.stopping()) return false;
                    for (const auto& e : events) out += "data: " + e + "\n\n";
                    if (out.empty()) out = ": keep-alive\n\n";  // finds closed connections
                }
                return sink.write(out.data(), out.size());
            },
            [this](bool) { event_streams.fetch_sub(1); });
    });
}

}  // namespace naq
