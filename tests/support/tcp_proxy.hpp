// A loopback TCP proxy in front of a nats-server, for network faults: cut every connection,
// stall traffic while connections stay open, restore. Clients connect to url() instead of the
// server's.
#pragma once

#include <atomic>
#include <string>
#include <thread>

namespace naq::test {

class TcpProxy {
public:
    /// Listens on a free loopback port and forwards to 127.0.0.1:target_port.
    explicit TcpProxy(int target_port);
    ~TcpProxy();
    TcpProxy(const TcpProxy&) = delete;
    TcpProxy& operator=(const TcpProxy&) = delete;

    std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

    /// Closes every connection and closes new ones at once, until restore(): a network cut
    /// that both ends notice.
    void cut();
    /// Stops moving bytes both ways; connections stay open and new ones are accepted but get
    /// nothing, until restore(): a network that silently drops everything.
    void stall();
    /// Forwards again (connections cut before stay closed; clients reconnect).
    void restore();
    /// Connections currently open through the proxy.
    int connections() const { return open_pairs_.load(); }

private:
    enum class Mode { forward, stall, cut };
    void set_mode(Mode mode);
    void run();

    int target_port_;
    int port_ = 0;
    int listen_fd_ = -1;
    int wake_pipe_[2] = {-1, -1};
    std::atomic<Mode> mode_{Mode::forward};
    std::atomic<unsigned> mode_changes_seen_{0};
    std::atomic<unsigned> mode_changes_{0};
    std::atomic<int> open_pairs_{0};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace naq::test
