// TLS to NATS against a real nats-server with certificates made by openssl for this run: server
// TLS and mutual TLS connect and run jobs; the usual mistakes are "cannot reach NATS" (exit 5)
// saying what to change, not a protocol detail with exit 1.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "naq/local_server.hpp"
#include "support/nats_auth.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;

namespace {

// A CA, a server certificate for 127.0.0.1 and a client certificate, in a temp directory.
struct TestCertificates {
    TestCertificates() : dir("/tmp/naq-tls-" + std::to_string(::getpid())) {
        std::filesystem::create_directories(dir);
        const std::string in = "cd " + dir + " && ";
        const std::string quiet = " >/dev/null 2>&1";
        auto make = [&](const std::string& command) { REQUIRE(test::run_command(in + command + quiet) == 0); };
        make("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=naq-test-ca");
        make("openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1");
        std::ofstream(dir + "/server.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
        make(
            "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
            "-extfile server.ext");
        make("openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=naq-client");
        make("openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2");
    }
    ~TestCertificates() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    std::string file(const std::string& name) const { return dir + "/" + name; }

    std::string dir;
};

std::string tls_url(const LocalNatsServer& server) { return "tls://127.0.0.1:" + std::to_string(server.port()); }

}  // namespace

TEST_CASE("tls: server TLS and mutual TLS run jobs, a missing CA or client certificate is exit 5 saying which",
          "[security][tls]") {
    TestCertificates certs;
    LocalNatsServer server({"--tls", "--tlscert", certs.file("server.pem"), "--tlskey", certs.file("server.key"),
                            "--tlsverify", "--tlscacert", certs.file("ca.pem")});
    Config c = test::config_for(tls_url(server));
    c.nats.tls_ca = certs.file("ca.pem");
    c.nats.tls_cert = certs.file("client.pem");
    c.nats.tls_key = certs.file("client.key");
    test::QueueWithWorker tlsq("tlsq", c);
    tlsq.tasks.add_builtins(false);
    tlsq.start_worker();
    CHECK(tlsq.wait_result(tlsq.enqueue("echo", {{"over", "tls"}}), 20s).result == Json{{"over", "tls"}});

    const std::string naq = std::string(NAQ_BINARY) + " --url " + tls_url(server) + " --prefix " + c.jetstream.prefix +
                            " --set nats.connect_timeout=2s ";
    const std::string ca = "--set nats.tls_ca=" + certs.file("ca.pem") + " ";
    const std::string client =
        "--set nats.tls_cert=" + certs.file("client.pem") + " --set nats.tls_key=" + certs.file("client.key") + " ";
    std::string out;
    CHECK(test::run_command(naq + ca + client + "queues 2>&1", &out) == 0);
    CHECK_THAT(out, Catch::Contains("tlsq"));
    // Mutual TLS without a client certificate: the server hangs up in the handshake.
    CHECK(test::run_command(naq + ca + "queues 2>&1", &out) == 5);
    CHECK_THAT(out, Catch::Contains("may require a client certificate: set nats.tls_cert and nats.tls_key"));
    // No CA: the server's certificate cannot be verified.
    CHECK(test::run_command(naq + client + "queues 2>&1", &out) == 5);
    CHECK_THAT(out, Catch::Contains("set nats.tls_ca to the CA that signed it"));

    // The whole path over mutual TLS from the command line: worker, enqueue, result --wait, job,
    // workers, scheduler; the client key never shows in anything printed or logged.
    const std::string key = test::read_file(certs.file("client.key"));
    const std::string key_line = key.substr(key.find('\n') + 1, 40);
    test::runs_the_whole_path({tls_url(server), c.jetstream.prefix, ca + client}, "tlspath", key_line,
                              certs.file("path.log"));
}

TEST_CASE("tls: TLS asked of a plain server is exit 5 saying the server does not offer it", "[security][tls]") {
    TestCertificates certs;
    LocalNatsServer plain;
    std::string out;
    CHECK(test::run_command(std::string(NAQ_BINARY) + " --url " + tls_url(plain) + " --set nats.tls_ca=" +
                                certs.file("ca.pem") + " --set nats.connect_timeout=2s " + "queues 2>&1",
                            &out) == 5);
    CHECK_THAT(out, Catch::Contains("the server does not offer it: use nats:// or enable TLS on the server"));
}
