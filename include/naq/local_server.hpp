// A private nats-server with JetStream on a free loopback port and a temp store dir: what
// `naq dev` runs, and the integration tests' fixture. It can be stopped, killed with SIGKILL
// and restarted on the same store (fault tests need that).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace naq {

/// Owns the nats-server child process and its temp store; kills it and removes the store on
/// destruction.
class LocalNatsServer {
public:
    /// Starts nats-server -js on a free loopback port with a fresh temp store directory.
    /// Throws naq::Error when nats-server is not on PATH or does not become ready.
    LocalNatsServer() : LocalNatsServer(std::vector<std::string>{}) {}
    /// The same with more nats-server arguments, e.g. {"--user", "alice", "--pass", "pw"}.
    explicit LocalNatsServer(std::vector<std::string> extra_args);
    ~LocalNatsServer();
    LocalNatsServer(const LocalNatsServer&) = delete;
    LocalNatsServer& operator=(const LocalNatsServer&) = delete;

    /// "nats://127.0.0.1:<port>".
    std::string url() const;
    int port() const { return port_; }
    /// Number of client connections the server currently has (from its monitoring endpoint).
    int connection_count() const;

    void stop();   ///< SIGTERM and wait (lame duck skipped)
    void kill();   ///< SIGKILL, no cleanup: what a crash looks like
    void start();  ///< starts again on the same port and store
    bool running() const { return pid_ > 0; }

private:
    void wait_ready();
    int port_ = 0;
    int monitor_port_ = 0;
    pid_t pid_ = -1;
    std::string store_dir_;
    std::string log_file_;
    std::vector<std::string> extra_args_;
};

/// True when `nats-server` is on PATH.
bool nats_server_available();

}  // namespace naq
