#include "support/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <vector>

#include "devserver/net_probe.hpp"

namespace naq::test {

namespace {

int connect_to(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = loopback_address(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        return -1;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

// Writes all of `data` (blocking); false when the peer is gone.
bool send_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n <= 0) return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

struct Pair {
    int client = -1;
    int server = -1;
};

}  // namespace

TcpProxy::TcpProxy(int target_port) : target_port_(target_port) {
    if (::pipe(wake_pipe_) != 0) throw std::runtime_error("pipe failed");
    for (int attempt = 0; attempt < 20 && listen_fd_ < 0; ++attempt) {
        port_ = free_port();
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        sockaddr_in addr = loopback_address(port_);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 && ::listen(fd, 64) == 0) {
            listen_fd_ = fd;
        } else {
            ::close(fd);
        }
    }
    if (listen_fd_ < 0) throw std::runtime_error("tcp proxy: no free loopback port");
    thread_ = std::thread([this] { run(); });
}

TcpProxy::~TcpProxy() {
    stopping_ = true;
    char c = 0;
    (void)!::write(wake_pipe_[1], &c, 1);
    thread_.join();
    ::close(listen_fd_);
    ::close(wake_pipe_[0]);
    ::close(wake_pipe_[1]);
}

void TcpProxy::cut() { set_mode(Mode::cut); }
void TcpProxy::stall() { set_mode(Mode::stall); }
void TcpProxy::restore() { set_mode(Mode::forward); }

// Returns once the proxy thread has acted on the new mode (a cut has closed every connection).
void TcpProxy::set_mode(Mode mode) {
    mode_ = mode;
    unsigned change = ++mode_changes_;
    char c = 0;
    (void)!::write(wake_pipe_[1], &c, 1);
    while (mode_changes_seen_.load() < change) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void TcpProxy::run() {
    std::vector<Pair> pairs;
    auto close_pair = [&](std::size_t i) {
        ::close(pairs[i].client);
        ::close(pairs[i].server);
        pairs.erase(pairs.begin() + static_cast<std::ptrdiff_t>(i));
        open_pairs_ = static_cast<int>(pairs.size());
    };
    char buf[64 * 1024];
    while (!stopping_.load()) {
        const Mode mode = mode_.load();
        if (mode == Mode::cut) {
            while (!pairs.empty()) close_pair(pairs.size() - 1);
        }
        mode_changes_seen_ = mode_changes_.load();

        std::vector<pollfd> fds = {{wake_pipe_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
        if (mode == Mode::forward) {
            for (const auto& p : pairs) {
                fds.push_back({p.client, POLLIN, 0});
                fds.push_back({p.server, POLLIN, 0});
            }
        }
        if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
        if (fds[0].revents != 0) {
            char drain[64];
            (void)!::read(wake_pipe_[0], drain, sizeof(drain));
            continue;  // look at the mode again before moving any byte
        }
        // Pairs first: their indexes in `fds` are only valid before a new pair is added.
        for (std::size_t i = pairs.size(); i-- > 0;) {
            if (mode != Mode::forward) break;
            const pollfd& from_client = fds[2 + 2 * i];
            const pollfd& from_server = fds[3 + 2 * i];
            bool alive = true;
            for (const pollfd* side : {&from_client, &from_server}) {
                if (!alive || side->revents == 0) continue;
                int to = side->fd == pairs[i].client ? pairs[i].server : pairs[i].client;
                ssize_t n = ::recv(side->fd, buf, sizeof(buf), 0);
                alive = n > 0 && send_all(to, buf, static_cast<std::size_t>(n));
            }
            if (!alive) close_pair(i);
        }
        if (fds[1].revents != 0) {
            int client = ::accept(listen_fd_, nullptr, nullptr);
            if (client < 0) continue;
            int server = mode == Mode::cut ? -1 : connect_to(target_port_);
            if (server < 0) {
                ::close(client);
                continue;
            }
            pairs.push_back({client, server});
            open_pairs_ = static_cast<int>(pairs.size());
        }
    }
    while (!pairs.empty()) close_pair(pairs.size() - 1);
}

}  // namespace naq::test
