#include "support/nats_cluster.hpp"

#include <chrono>

#include "devserver/net_probe.hpp"
#include "naq/connection.hpp"
#include "naq/errors.hpp"
#include "naq/json.hpp"
#include "support/test_env.hpp"

namespace naq::test {

NatsCluster::NatsCluster(int nodes) {
    std::vector<int> route_ports;
    std::string routes;
    for (int i = 0; i < nodes; ++i) {
        route_ports.push_back(free_port());
        routes += (i == 0 ? "" : ",") + std::string("nats://127.0.0.1:") + std::to_string(route_ports.back());
    }
    for (int i = 0; i < nodes; ++i) {
        nodes_.push_back(std::make_unique<LocalNatsServer>(
            std::vector<std::string>{"--server_name", name_of(i), "--cluster_name", "naqtest", "--cluster",
                                     "nats://127.0.0.1:" + std::to_string(route_ports[static_cast<std::size_t>(i)]),
                                     "--routes", routes},
            ServerReadiness::client_port));
    }
    wait_healthy();
}

NatsCluster::~NatsCluster() {
    close_all_connections();  // before the nodes go, so nothing keeps reconnecting to them
}

std::vector<std::string> NatsCluster::urls() const {
    std::vector<std::string> out;
    for (const auto& n : nodes_) out.push_back(n->url());
    return out;
}

Config NatsCluster::config() const {
    Config c = config_for(nodes_.front()->url());
    c.nats.servers = urls();
    c.jetstream.replicas = size();
    return c;
}

int NatsCluster::leader_of(const Config& config, const std::string& stream) const {
    for (const auto& n : nodes_) {
        if (!n->running()) continue;
        try {
            Config one = config;
            one.nats.servers = {n->url()};
            auto conn = connection(one);
            Json info = Json::parse(conn.request("$JS.API.STREAM.INFO." + stream, "", std::chrono::seconds(2)));
            if (!info.contains("cluster") || !info["cluster"].contains("leader")) continue;
            std::string leader = info["cluster"]["leader"].get<std::string>();
            for (int i = 0; i < size(); ++i) {
                if (name_of(i) == leader) return i;
            }
        } catch (const std::exception&) {
            // this node does not answer (yet): ask the next one
        }
    }
    return -1;
}

std::string NatsCluster::unsettled(const Config& config) const {
    try {
        auto conn = connection(config);
        Json names = Json::parse(conn.request("$JS.API.STREAM.NAMES", "{}", std::chrono::seconds(2)));
        if (!names.contains("streams") || !names["streams"].is_array()) return "no stream names: " + names.dump();
        for (const auto& stream : names["streams"]) {
            const std::string name = stream.get<std::string>();
            Json info = Json::parse(conn.request("$JS.API.STREAM.INFO." + name, "", std::chrono::seconds(2)));
            const Json cluster = info.value("cluster", Json::object());
            if (!cluster.contains("leader")) return name + ": no leader";
            const Json replicas = cluster.value("replicas", Json::array());
            if (static_cast<int>(replicas.size()) != size() - 1) return name + ": replicas " + replicas.dump();
            for (const auto& r : replicas) {
                if (!r.value("current", false)) return name + ": replica not current " + r.dump();
            }
        }
        return {};
    } catch (const std::exception& e) {
        return e.what();  // not answering yet
    }
}

void NatsCluster::wait_healthy() {
    for (auto& n : nodes_) {
        if (n->running()) n->wait_healthy(std::chrono::seconds(30));
    }
}

}  // namespace naq::test
