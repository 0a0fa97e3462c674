// A JetStream cluster of nats-servers on loopback, for fault tests: each node has its own
// store, server name (n1, n2, …) and route port; any node can be stopped, killed and restarted.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "naq/config.hpp"
#include "naq/local_server.hpp"

namespace naq::test {

class NatsCluster {
public:
    /// Starts `nodes` servers and waits until JetStream is healthy on every one.
    explicit NatsCluster(int nodes = 3);
    ~NatsCluster();
    NatsCluster(const NatsCluster&) = delete;
    NatsCluster& operator=(const NatsCluster&) = delete;

    int size() const { return static_cast<int>(nodes_.size()); }
    LocalNatsServer& node(int index) { return *nodes_.at(static_cast<std::size_t>(index)); }
    /// "n1", "n2", …: the node's server_name.
    static std::string name_of(int index) { return "n" + std::to_string(index + 1); }
    /// Every node's client URL, for Config::nats.servers.
    std::vector<std::string> urls() const;

    /// A Config for a deployment of its own on this cluster, `jetstream.replicas` = size().
    Config config() const;

    /// Index of the node leading `stream` (e.g. "KV_x_job_status"), -1 when it has no leader
    /// or no running node answers. Asked through the JetStream API of the running nodes.
    int leader_of(const Config& config, const std::string& stream) const;

    /// Waits until every running node is healthy; throws naq::Error after 30 s.
    void wait_healthy();

    /// Empty when every stream of the account has a leader and every other node as a current
    /// replica: the cluster has settled (streams just created, or a node just restarted and
    /// caught up). A node killed before that may take the only other copy of a stream with it.
    /// Otherwise what is not settled yet.
    std::string unsettled(const Config& config) const;

private:
    std::vector<std::unique_ptr<LocalNatsServer>> nodes_;
};

}  // namespace naq::test
