// Storage full: a nats-server whose JetStream store is capped at 4 MB fills up under enqueue +
// drain load. Enqueues are refused (the producer's error: nothing acknowledged), records the
// worker cannot store leave their jobs unacknowledged (they run again later), and once space
// is freed every acknowledged job finishes with its record. The worker stays up throughout.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "naq/errors.hpp"
#include "naq/jetstream.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "support/fault_kit.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;

TEST_CASE("fault: a full store refuses new jobs, loses no acknowledged one, and all finish once space is freed",
          "[fault][storage]") {
    test::RecordFile record;
    const std::string conf = std::filesystem::path(record.path).parent_path() / "small-store.conf";
    std::ofstream(conf) << "jetstream { max_file_store: 4MB }\n";
    test::PrivateNatsServer server{std::vector<std::string>{"-c", conf}};
    Config c = test::config_for(server.url());
    Queue q("full", c);
    test::NaqProcess worker(c, test::record_worker_args("full"), record.path);

    // Fill the store: 2 KB jobs until the server refuses them.
    const Json args = {{"pad", std::string(2048, 'x')}};
    std::vector<std::string> acked;
    int refused = 0;
    std::string refusal;
    for (int i = 0; i < 20'000 && refused < 20; ++i) {
        try {
            acked.push_back(q.enqueue("record", args));
        } catch (const Error& e) {
            ++refused;
            refusal = e.what();
        }
    }
    std::printf("fault: store full after %zu jobs; refusal: %s\n", acked.size(), refusal.c_str());
    REQUIRE(refused > 0);                                         // the store did fill
    CHECK(refusal.find("storage is full") != std::string::npos);  // says what, not only "insufficient resources"
    CHECK(worker.alive());

    // Free space: the events stream is the bulk of what a busy deployment stores besides jobs.
    auto js = jetstream(c);
    uint64_t purged = js.purge(names::events_stream(c));
    std::printf("fault: purged %llu events\n", static_cast<unsigned long long>(purged));

    CHECK(test::unfinished_after_drain(c, q, 120s) == 0);
    test::Tally t = test::tally(c, acked, record);
    std::printf("fault: storage full: %s refused=%d\n", t.line().c_str(), refused);
    CHECK(t.lost == 0);
    CHECK(worker.alive());
    CHECK(worker.stop() == 0);
}
