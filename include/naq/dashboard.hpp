// The web dashboard (`naq dashboard`): pages for operators and the JSON API under /api/ that they
// use, served over HTTP from this process, live through Server-Sent Events. docs/dashboard.md
// describes the pages, the API and the safety rules.
//
//   naq::Dashboard board{cfg, {.listen = "127.0.0.1:8080"}};
//   std::cout << board.url() << "\n";
//   board.run();                                  // until board.stop() (another thread / signal)
#pragma once

#include <memory>
#include <string>

#include "naq/config.hpp"

namespace naq {

struct DashboardOptions {
    /// "host:port"; port 0 picks a free one (url() says which).
    std::string listen = "127.0.0.1:8080";
    /// Required for an address other than loopback: sent as "Authorization: Bearer <token>", or
    /// typed into the sign-in page once (an HttpOnly session cookie then). Empty: no sign-in
    /// (loopback only).
    std::string token;
    /// Hides every button that changes something; the API refuses every change (403).
    bool read_only = false;
};

class Dashboard {
public:
    /// Binds the address (and checks the options); throws InvalidArgument for a bad address or a
    /// non-loopback address without a token, Error when the port is taken.
    Dashboard(const Config& config, DashboardOptions options = {});
    ~Dashboard();
    Dashboard(const Dashboard&) = delete;
    Dashboard& operator=(const Dashboard&) = delete;

    /// "http://127.0.0.1:8080/".
    std::string url() const;
    int port() const;

    /// Serves until stop().
    void run();
    /// Makes run() return; safe from any thread (not from a signal handler).
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace naq
