#include "naq/local_server.hpp"

#include "devserver/net_probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

#include "naq/errors.hpp"

namespace naq {

namespace {

// Whether `op` succeeds on a fresh socket for 127.0.0.1:port: ::connect (someone listens there)
// or ::bind (the port is free).
bool loopback_probe(int port, int (*op)(int, const sockaddr*, socklen_t)) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = loopback_address(port);
    bool ok = op(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    return ok;
}

int kernel_chosen_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = loopback_address(0);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        throw Error("cannot bind a loopback port");
    }
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// The server's last fatal or error line, which says why it exited ("" when there is none).
std::string last_error_line(const std::string& log_file) {
    std::ifstream in(log_file);
    std::string line;
    std::string last;
    while (std::getline(in, line)) {
        if (line.find("[FTL]") != std::string::npos || line.find("[ERR]") != std::string::npos) last = line;
    }
    return last;
}

}  // namespace

sockaddr_in loopback_address(int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

bool nats_server_available() {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        std::size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::string candidate = dirs.substr(start, end - start) + "/nats-server";
        if (::access(candidate.c_str(), X_OK) == 0) return true;
        start = end + 1;
    }
    return false;
}

// The kernel's ephemeral range (32768-60999 on Linux) is where every outgoing connection takes
// its local port, so a port probed there can be taken by any client before the server binds
// it. Below that range only another listener can take it.
int free_port() {
    thread_local std::mt19937 rng{std::random_device{}()};
    std::uniform_int_distribution<int> below_ephemeral(20000, 32767);
    for (int attempt = 0; attempt < 200; ++attempt) {
        int port = below_ephemeral(rng);
        if (loopback_probe(port, ::bind)) return port;
    }
    return kernel_chosen_port();
}

std::string http_get(int port, const std::string& path) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = loopback_address(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        return {};
    }
    std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::write(fd, req.data(), req.size()) < 0) {
        ::close(fd);
        return {};
    }
    std::string resp;
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0) resp.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    auto body = resp.find("\r\n\r\n");
    return body == std::string::npos ? std::string{} : resp.substr(body + 4);
}

LocalNatsServer::LocalNatsServer(std::vector<std::string> extra_args, ServerReadiness readiness)
    : extra_args_(std::move(extra_args)), readiness_(readiness) {
    if (!nats_server_available()) {
        throw Error("nats-server not found on PATH; install it with: sudo apt-get install nats-server");
    }
    char tmpl[] = "/tmp/naq-nats-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw Error("mkdtemp failed");
    store_dir_ = tmpl;
    log_file_ = store_dir_ + "/server.log";
    // Another listener may still take a probed port before nats-server binds it; then pick
    // new ports rather than fail the caller.
    for (int attempt = 1;; ++attempt) {
        port_ = free_port();
        monitor_port_ = free_port();
        try {
            start();
            return;
        } catch (const Error&) {
            bool port_taken = last_error_line(log_file_).find("address already in use") != std::string::npos;
            if (attempt == 5 || !port_taken) throw;
            std::error_code ec;
            std::filesystem::remove(log_file_, ec);
        }
    }
}

LocalNatsServer::~LocalNatsServer() {
    kill();
    std::error_code ec;
    std::filesystem::remove_all(store_dir_, ec);
}

std::string LocalNatsServer::url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

void LocalNatsServer::start() {
    if (pid_ > 0) return;
    std::vector<std::string> args = {
        "nats-server", "-js",      "-a", "127.0.0.1", "-p", std::to_string(port_), "-m", std::to_string(monitor_port_),
        "-sd",         store_dir_, "-l", log_file_};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw Error("fork failed");
    if (pid_ == 0) {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the process that started it
        int devnull = ::open("/dev/null", O_RDWR);
        ::dup2(devnull, STDIN_FILENO);
        ::dup2(devnull, STDOUT_FILENO);
        ::dup2(devnull, STDERR_FILENO);
        execvp("nats-server", argv.data());
        ::_exit(127);
    }
    if (!wait_ready(readiness_ == ServerReadiness::jetstream, std::chrono::seconds(15))) {
        kill();
        throw Error("nats-server did not become ready within 15 s; log: " + log_file_);
    }
}

void LocalNatsServer::wait_healthy(std::chrono::milliseconds timeout) {
    if (!wait_ready(true, timeout)) {
        throw Error("nats-server's JetStream not healthy within " + std::to_string(timeout.count()) +
                    " ms; log: " + log_file_);
    }
}

bool LocalNatsServer::wait_ready(bool jetstream, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            std::string why = last_error_line(log_file_);
            throw Error("nats-server exited at start" + (why.empty() ? std::string{} : ": " + why) +
                        "; log: " + log_file_);
        }
        // /healthz answers ok once JetStream is up, not just the client port.
        if (loopback_probe(port_, ::connect) &&
            (!jetstream || http_get(monitor_port_, "/healthz").find("ok") != std::string::npos))
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

int LocalNatsServer::connection_count() const {
    std::string body = http_get(monitor_port_, "/varz");
    auto pos = body.find("\"connections\":");
    if (pos == std::string::npos) return -1;
    return std::atoi(body.c_str() + pos + 14);
}

void LocalNatsServer::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

void LocalNatsServer::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

}  // namespace naq
