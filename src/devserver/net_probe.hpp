// Loopback probes used to start a private nats-server (and by tests): a free port, a plain
// HTTP GET of its monitoring endpoint.
#pragma once

#include <netinet/in.h>

#include <string>

namespace naq {

/// 127.0.0.1:port as a socket address.
sockaddr_in loopback_address(int port);

/// A free TCP port on 127.0.0.1 (bound then released).
int free_port();

/// Sends `GET path` to 127.0.0.1:port and returns the body ("" on failure).
std::string http_get(int port, const std::string& path);

}  // namespace naq
