// A private nats-server with JetStream on a free loopback port and a temp store dir: what
// `naq dev` runs, and the integration tests' fixture. It can be stopped, killed with SIGKILL
// and restarted on the same store (fault tests need that).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace naq {

/// What start() waits for: JetStream answering /healthz (a lone server), or only the client port
/// (a cluster node, whose JetStream cannot be ready before its peers run).
enum class ServerReadiness { jetstream, client_port };

/// Owns the nats-server child process and its temp store; kills it and removes the store on
/// destruction.
class LocalNatsServer {
public:
    /// Starts nats-server -js on a free loopback port with a fresh temp store directory.
    /// Throws naq::Error when nats-server is not on PATH or does not become ready.
    LocalNatsServer() : LocalNatsServer(std::vector<std::string>{}) {}
    /// The same with more nats-server arguments, e.g. {"--user", "alice", "--pass", "pw"}.
    explicit LocalNatsServer(std::vector<std::string> extra_args,
                             ServerReadiness readiness = ServerReadiness::jetstream);
    ~LocalNatsServer();
    LocalNatsServer(const LocalNatsServer&) = delete;
    LocalNatsServer& operator=(const LocalNatsServer&) = delete;

    /// "nats://127.0.0.1:<port>".
    std::string url() const;
    int port() const { return port_; }
    int monitor_port() const { return monitor_port_; }
    /// Waits until JetStream answers /healthz; throws naq::Error after `timeout`.
    void wait_healthy(std::chrono::milliseconds timeout = std::chrono::seconds(15));
    /// Number of client connections the server currently has (from its monitoring endpoint).
    int connection_count() const;

    void stop();   ///< SIGTERM and wait (lame duck skipped)
    void kill();   ///< SIGKILL, no cleanup: what a crash looks like
    void start();  ///< starts again on the same port and store, waiting as constructed
    bool running() const { return pid_ > 0; }

private:
    /// False on timeout; throws when the process exited.
    bool wait_ready(bool jetstream, std::chrono::milliseconds timeout);
    int port_ = 0;
    int monitor_port_ = 0;
    pid_t pid_ = -1;
    std::string store_dir_;
    std::string log_file_;
    std::vector<std::string> extra_args_;
    ServerReadiness readiness_ = ServerReadiness::jetstream;
};

/// True when `nats-server` is on PATH.
bool nats_server_available();

}  // namespace naq
