// The dashboard's server against a real nats-server, through HTTP: access rules (token, session
// cookie, CSRF, read-only), the API agreeing with the CLI's read side, dead letters paged, and the
// shared event stream. tests/browser/ drives the pages themselves in Chromium.
#include <catch2/catch.hpp>

#include <httplib.h>

#include <atomic>
#include <set>
#include <thread>

#include "naq/dashboard.hpp"
#include "naq/dead_letter_pages.hpp"
#include "naq/dead_letters.hpp"
#include "naq/errors.hpp"
#include "naq/inspect_json.hpp"
#include "naq/queue_stats.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;

namespace {

constexpr const char* kToken = "correct-horse-battery-staple";

// A dashboard serving on a free loopback port for the length of a scope.
struct RunningDashboard {
    explicit RunningDashboard(const Config& config, DashboardOptions options = {})
        : board(config, with_free_port(std::move(options))),
          thread([this] { board.run(); }),
          http("127.0.0.1", board.port()) {
        http.set_read_timeout(10, 0);
        REQUIRE(test::eventually([&] { return http.Get("/login") != nullptr; }));
    }
    ~RunningDashboard() {
        board.stop();
        thread.join();
    }
    static DashboardOptions with_free_port(DashboardOptions o) {
        o.listen = "127.0.0.1:0";
        return o;
    }
    std::string csrf(const httplib::Headers& headers = {}) {
        auto res = http.Get("/api/session", headers);
        REQUIRE(res);
        REQUIRE(res->status == 200);
        return Json::parse(res->body)["csrf"].get<std::string>();
    }

    Dashboard board;
    std::thread thread;
    httplib::Client http;
};

httplib::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

}  // namespace

TEST_CASE("dashboard: a bad address, or one beyond loopback without a token, is refused", "[dashboard]") {
    Config c = test::test_config();
    CHECK_THROWS_AS(Dashboard(c, {.listen = "0.0.0.0:0"}), InvalidArgument);
    CHECK_THROWS_AS(Dashboard(c, {.listen = "127.0.0.1"}), InvalidArgument);
    CHECK_THROWS_AS(Dashboard(c, {.listen = "127.0.0.1:http"}), InvalidArgument);
    CHECK_THROWS_AS(Dashboard(c, {.listen = "127.0.0.1:70000"}), InvalidArgument);
    CHECK_NOTHROW(Dashboard(c, {.listen = "0.0.0.0:0", .token = kToken}));
}

TEST_CASE("dashboard: with a token, the API needs it as a bearer header or a signed-in session", "[dashboard]") {
    Config c = test::test_config();
    RunningDashboard d(c, {.token = kToken});
    auto& http = d.http;

    auto anonymous = http.Get("/api/overview");
    REQUIRE(anonymous);
    CHECK(anonymous->status == 401);
    CHECK(Json::parse(anonymous->body).contains("error"));
    CHECK(http.Get("/api/overview", bearer("wrong-token-of-same-size-xx"))->status == 401);
    CHECK(http.Get("/api/overview", bearer(kToken))->status == 200);
    auto page = http.Get("/");
    REQUIRE(page);
    CHECK(page->status == 303);
    CHECK(page->get_header_value("Location") == "/login");

    // The sign-in form: a wrong token goes back to the form, the right one sets an HttpOnly cookie.
    auto wrong = http.Post("/login", "token=nope", "application/x-www-form-urlencoded");
    REQUIRE(wrong);
    CHECK(wrong->status == 303);
    CHECK(wrong->get_header_value("Location") == "/login?failed=1");
    CHECK_FALSE(wrong->has_header("Set-Cookie"));
    auto right = http.Post("/login", std::string("token=") + kToken, "application/x-www-form-urlencoded");
    REQUIRE(right);
    CHECK(right->status == 303);
    const std::string cookie = right->get_header_value("Set-Cookie");
    CHECK(cookie.find("HttpOnly") != std::string::npos);
    CHECK(cookie.find("SameSite=Strict") != std::string::npos);
    httplib::Headers session{{"Cookie", cookie.substr(0, cookie.find(';'))}};
    CHECK(http.Get("/api/overview", session)->status == 200);
    CHECK(http.Get("/", session)->status == 200);
    CHECK(http.Get("/api/overview", {{"Cookie", "naq_session=forged"}})->status == 401);
}

TEST_CASE("dashboard: a change from a page needs the CSRF token, and a read-only dashboard refuses every change",
          "[dashboard]") {
    Config c = test::test_config();
    {
        RunningDashboard d(c);  // loopback, no token: a page is a "browser" caller
        auto no_csrf = d.http.Post("/api/dead/purge", "{}", "application/json");
        REQUIRE(no_csrf);
        CHECK(no_csrf->status == 403);
        auto with_csrf = d.http.Post("/api/dead/purge", {{"X-CSRF-Token", d.csrf()}}, "{}", "application/json");
        REQUIRE(with_csrf);
        CHECK(with_csrf->status == 200);
        CHECK(Json::parse(with_csrf->body)["purged"] == 0);
        auto bad_body = d.http.Post("/api/dead/requeue", {{"X-CSRF-Token", d.csrf()}}, "[1,", "application/json");
        CHECK(bad_body->status == 400);
    }
    RunningDashboard ro(c, {.token = kToken, .read_only = true});
    auto session = ro.http.Get("/api/session", bearer(kToken));
    CHECK(Json::parse(session->body)["read_only"] == true);
    auto refused = ro.http.Post("/api/dead/purge", bearer(kToken), "{}", "application/json");
    REQUIRE(refused);
    CHECK(refused->status == 403);
    CHECK(Json::parse(refused->body)["error"] == "this dashboard is read-only");
}

TEST_CASE("dashboard: every response forbids inline script and framing", "[dashboard]") {
    Config c = test::test_config();
    RunningDashboard d(c);
    for (const char* path : {"/", "/login", "/app.js", "/app.css", "/api/session"}) {
        auto res = d.http.Get(path);
        REQUIRE(res);
        INFO(path);
        CHECK(res->status == 200);
        CHECK(res->get_header_value("Content-Security-Policy").find("script-src 'self'") != std::string::npos);
        CHECK(res->get_header_value("X-Frame-Options") == "DENY");
    }
    CHECK(d.http.Get("/app.js")->get_header_value("Content-Type").rfind("text/javascript", 0) == 0);
}

TEST_CASE("dashboard: the overview, queue, job and dead-letter answers agree with the CLI's read side", "[dashboard]") {
    test::QueueWithWorker dq("dash_q");
    dq.tasks.add_builtins(false);
    dq.start_worker();
    const std::string ok = dq.enqueue("echo", {{"n", 1}});
    const std::string bad = dq.enqueue("fail", {{"message", "<script>alert(1)</script>"}}, {.max_attempts = 1});
    dq.wait_final(ok);
    dq.wait_final(bad);
    Queue idle("dash_idle", dq.config);
    for (int i = 0; i < 3; ++i) idle.enqueue("echo");
    RunningDashboard d(dq.config);

    auto overview = Json::parse(d.http.Get("/api/overview")->body);
    Json expected = queue_stats_json(queue_stats(dq.config));
    auto idle_row = [](const Json& queues) {
        for (const auto& q : queues) {
            if (q["queue"] == "dash_idle") return q;
        }
        return Json();
    };
    CHECK(idle_row(overview["queues"]) == idle_row(expected));
    CHECK(idle_row(overview["queues"])["pending"] == 3);
    CHECK(overview["workers"]["online"] == 1);
    CHECK(overview["dead_total"] == 1);

    auto queue = d.http.Get("/api/queues/dash_q");
    REQUIRE(queue->status == 200);
    CHECK(Json::parse(queue->body)["stats"]["dead"] == 1);
    CHECK(d.http.Get("/api/queues/no_such_queue")->status == 404);
    CHECK(d.http.Get("/api/queues/a%20b")->status == 400);

    auto job = Json::parse(d.http.Get("/api/jobs/" + bad)->body);
    CHECK(job["record"]["state"] == "dead");
    CHECK(job["record"]["error"] == "<script>alert(1)</script>");  // as data; the page shows it as text
    CHECK(job["dead_letter"]["id"] == bad);
    REQUIRE(test::eventually([&] {
        auto events = Json::parse(d.http.Get("/api/jobs/" + bad)->body)["events"];
        return events.size() >= 3 && events.back()["type"] == "dead_lettered";
    }));
    CHECK(d.http.Get("/api/jobs/never-enqueued-job")->status == 404);

    auto dead = Json::parse(d.http.Get("/api/dead?queue=dash_q")->body);
    REQUIRE(dead["items"].size() == 1);
    CHECK(dead["items"][0]["id"] == bad);
    CHECK(dead["total"] == 1);
    CHECK(d.http.Get("/api/dead?after=soon")->status == 400);
    CHECK(d.http.Get("/api/dead?after=-1")->status == 400);  // not wrapped to the largest number
    CHECK(d.http.Get("/api/dead?limit=%2B5")->status == 400);
    CHECK(d.http.Get("/api/dead?limit=99999999999999999999999")->status == 400);
}

TEST_CASE("dashboard: dead letters come in pages, filtered, and a bulk requeue takes only the matching ones",
          "[dashboard]") {
    test::QueueWithWorker dp("dash_pages");
    dp.tasks.add_builtins(false);
    dp.start_worker();
    std::vector<std::string> ids;
    for (int i = 0; i < 120; ++i) {
        ids.push_back(dp.enqueue("fail", {{"message", i % 3 == 0 ? "disk full" : "timeout"}}, {.max_attempts = 1}));
    }
    for (const auto& id : ids) dp.wait_final(id);
    dp.stop_workers();
    const Config& c = dp.config;

    std::set<std::string> seen;
    uint64_t after = 0;
    int pages = 0;
    while (true) {
        DeadLetterPage page = dead_letter_page(c, {.queue = "dash_pages"}, after, 50);
        CHECK(page.total == 120);
        ++pages;
        for (const auto& d : page.items) CHECK(seen.insert(d.id).second);
        if (!page.next) break;
        CHECK(page.items.size() == 50);
        after = *page.next;
    }
    CHECK(pages == 3);
    CHECK(seen.size() == 120);

    auto disk = dead_letter_page(c, {.queue = "dash_pages", .reason = "disk"}, 0, 500);
    CHECK(disk.items.size() == 40);
    CHECK(dead_letter_page(c, {.task = "echo"}, 0, 500).items.empty());

    RunningDashboard d(dp.config);
    auto requeued = d.http.Post("/api/dead/requeue", {{"X-CSRF-Token", d.csrf()}},
                                R"({"all": true, "queue": "dash_pages", "reason": "disk full"})", "application/json");
    REQUIRE(requeued->status == 200);
    CHECK(Json::parse(requeued->body)["requeued"] == 40);
    CHECK(dead_letter_page(c, {.queue = "dash_pages"}, 0, 500).items.size() == 80);
    CHECK(dp.queue.counts().pending == 40);
}

TEST_CASE("dashboard: a connected page receives new events through the shared stream", "[dashboard]") {
    Config c = test::test_config();
    RunningDashboard d(c);
    std::atomic<bool> got{false};
    std::string received;
    std::thread reader([&] {
        httplib::Client sse("127.0.0.1", d.board.port());
        sse.set_read_timeout(20, 0);
        sse.Get("/api/events/stream", [&](const char* data, std::size_t n) {
            received.append(data, n);
            if (received.find("\"job_id\":\"sse-job-") != std::string::npos) got = true;
            return !got.load();
        });
    });
    // Enqueue until the stream shows one (the dashboard subscribes a moment after it starts,
    // and the page connects a moment after that).
    Queue q("dash_sse", c);
    bool seen = false;
    for (int i = 0; i < 50 && !seen; ++i) {
        q.enqueue("echo", Json::object(), {.job_id = "sse-job-" + std::to_string(i)});
        seen = test::eventually([&] { return got.load(); }, 200ms);
    }
    d.board.stop();  // ends a stream that saw nothing
    reader.join();
    CHECK(seen);
    CHECK(received.rfind("retry: 3000", 0) == 0);
}

TEST_CASE("dashboard: naq dashboard refuses a short token and an open non-loopback address with exit 2",
          "[dashboard][cli]") {
    Config c = test::test_config();
    std::string out;
    CHECK(test::run_command("NAQ_DASHBOARD_TOKEN=short " + test::naq_cmd(c, "dashboard 2>&1"), &out) == 2);
    CHECK(out.find("at least 16 characters") != std::string::npos);
    out.clear();
    CHECK(test::run_command(test::naq_cmd(c, "dashboard --listen 0.0.0.0:0 2>&1"), &out) == 2);
    CHECK(out.find("needs a token") != std::string::npos);
    CHECK(test::run_command(test::naq_cmd(c, "dashboard --token-file /nonexistent/token 2>/dev/null")) == 2);
}

TEST_CASE("dashboard: a job page names the jobs it depends on and the jobs that depend on it", "[dashboard]") {
    Config c = test::test_config();
    RunningDashboard d(c);
    Queue q("dash_deps", c);  // no worker: both stay queued / waiting
    const std::string first = q.enqueue("echo");
    std::string second;
    // The dashboard learns dependents from enqueued events it sees: enqueue once it follows.
    REQUIRE(test::eventually([&] {
        second = q.enqueue("echo", Json::object(), {.depends_on = {first}});
        return test::eventually(
            [&] { return Json::parse(d.http.Get("/api/jobs/" + first)->body)["dependents"].size() > 0; }, 300ms);
    }));
    auto of_first = Json::parse(d.http.Get("/api/jobs/" + first)->body);
    CHECK(of_first["dependents"].back() == second);
    auto of_second = Json::parse(d.http.Get("/api/jobs/" + second)->body);
    CHECK(of_second["record"]["depends_on"] == Json::array({first}));
    CHECK(of_second["dependents"].empty());
}

TEST_CASE("dashboard: pausing and resuming a queue from the API is what naq queues shows, read-only refuses it",
          "[dashboard][queue_control]") {
    Config c = test::test_config();
    Queue q("dash_pause", c);
    q.enqueue("echo");
    RunningDashboard d(c, {.token = kToken});
    auto paused = d.http.Post("/api/queues/dash_pause/pause", bearer(kToken), R"({"reason":"<b>deploy</b>"})",
                              "application/json");
    REQUIRE(paused);
    CHECK(paused->status == 200);
    CHECK(Json::parse(paused->body) == Json{{"queue", "dash_pause"}, {"paused", true}, {"changed", true}});
    auto stats = queue_stats(c);
    REQUIRE(stats.size() == 1);
    CHECK(stats[0].control.paused);
    CHECK(stats[0].control.reason == "<b>deploy</b>");
    auto row = Json::parse(d.http.Get("/api/queues/dash_pause", bearer(kToken))->body)["stats"];
    CHECK(row == queue_stats_json(stats[0]));
    CHECK(d.http.Post("/api/queues/a.b/pause", bearer(kToken), "{}", "application/json")->status == 400);
    CHECK(d.http.Post("/api/queues/dash_pause/pause", bearer(kToken), R"({"reason":7})", "application/json")->status ==
          400);
    {
        RunningDashboard ro(c, {.token = kToken, .read_only = true});
        CHECK(ro.http.Post("/api/queues/dash_pause/resume", bearer(kToken), "{}", "application/json")->status == 403);
    }
    CHECK(q.control().paused);
    auto resumed = d.http.Post("/api/queues/dash_pause/resume", bearer(kToken), "{}", "application/json");
    REQUIRE(resumed);
    CHECK(Json::parse(resumed->body)["changed"] == true);
    CHECK_FALSE(q.control().paused);
}
