// bench_codec: the hot path's JSON, per record, in one process (no server).
//   encode: naq's hand-written JsonWriter (codec::encode) vs RapidJSON's Writer writing the same
//           members vs nlohmann's dump(to_json(...)), for a job envelope and a running-status
//           record (what a worker writes per job besides the ack);
//   decode: codec::decode_job (simdjson on demand, args kept as text) vs the same envelope read
//           through nlohmann (the decoder before simdjson: parse, then read the fields), each
//           with and without a handler that then parses its args.
// Every variant is checked to produce the same record before it is timed.
//   bench_codec [--n N] [--rounds R]
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "naq/codec.hpp"
#include "naq/job.hpp"

namespace {

using Clock = std::chrono::steady_clock;

naq::Job sample_job() {
    naq::Job job;
    job.id = naq::new_job_id();
    job.queue = "emails";
    job.task = "send_email";
    job.args = {{"to", "someone@example.com"}, {"template", "welcome"}, {"user_id", 123456}, {"locale", "de-DE"}};
    job.enqueued_at_ms = 1'764'000'000'123;
    job.max_attempts = 3;
    job.timeout = naq::Millis(30'000);
    return job;
}

naq::JobStatus running_status(const naq::Job& job) {
    naq::JobStatus s;
    s.id = job.id;
    s.queue = job.queue;
    s.task = job.task;
    s.state = naq::JobState::running;
    s.attempt = 1;
    s.max_attempts = job.max_attempts;
    s.worker = "host-1-4f2a9c";
    s.enqueued_at_ms = job.enqueued_at_ms;
    s.started_at_ms = job.enqueued_at_ms + 3;
    s.updated_at_ms = job.enqueued_at_ms + 3;
    return s;
}

// RapidJSON writing the members codec::encode writes, in the same order.
using RapidWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void rapid_string(RapidWriter& w, const std::string& s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

std::string rapid_encode(const naq::Job& job) {
    rapidjson::StringBuffer buffer(nullptr, 320);
    RapidWriter w(buffer);
    w.StartObject();
    w.Key("args");
    const std::string_view args = job.args.text();
    w.RawValue(args.data(), args.size(), rapidjson::kObjectType);
    w.Key("enqueued_at");
    w.Int64(job.enqueued_at_ms);
    w.Key("id");
    rapid_string(w, job.id);
    w.Key("options");
    w.StartObject();
    w.Key("backoff");
    w.StartObject();
    w.Key("base_ms");
    w.Int64(job.backoff.base.count());
    w.Key("jitter");
    w.Bool(job.backoff.jitter);
    w.Key("kind");
    w.String(naq::to_string(job.backoff.kind));
    w.Key("max_ms");
    w.Int64(job.backoff.max.count());
    w.EndObject();
    w.Key("max_attempts");
    w.Int(job.max_attempts);
    w.Key("timeout_ms");
    w.Int64(job.timeout.count());
    w.EndObject();
    w.Key("queue");
    rapid_string(w, job.queue);
    w.Key("task");
    rapid_string(w, job.task);
    w.Key("v");
    w.Int(naq::kWireVersion);
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

std::string rapid_encode(const naq::JobStatus& s) {
    rapidjson::StringBuffer buffer(nullptr, 256);
    RapidWriter w(buffer);
    w.StartObject();
    w.Key("attempt");
    w.Int(s.attempt);
    w.Key("enqueued_at");
    w.Int64(s.enqueued_at_ms);
    w.Key("id");
    rapid_string(w, s.id);
    w.Key("max_attempts");
    w.Int(s.max_attempts);
    w.Key("queue");
    rapid_string(w, s.queue);
    w.Key("started_at");
    w.Int64(s.started_at_ms);
    w.Key("state");
    w.String(naq::to_string(s.state));
    w.Key("task");
    rapid_string(w, s.task);
    w.Key("updated_at");
    w.Int64(s.updated_at_ms);
    w.Key("v");
    w.Int(naq::kWireVersion);
    w.Key("worker");
    rapid_string(w, s.worker);
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

// The envelope read the way decode_job read it before simdjson: a whole nlohmann tree, then
// the fields (args copied out of it as a parsed value).
naq::Job nlohmann_decode(std::string_view text) {
    naq::Json j = naq::Json::parse(text);
    naq::Job job;
    job.id = j.at("id").get<std::string>();
    job.task = j.at("task").get<std::string>();
    job.queue = j.value("queue", std::string());
    job.args = j.at("args");
    job.enqueued_at_ms = j.value("enqueued_at", int64_t{0});
    const naq::Json& o = j.at("options");
    job.max_attempts = o.value("max_attempts", 1);
    job.timeout = naq::Millis(o.value("timeout_ms", int64_t{0}));
    const naq::Json& b = o.at("backoff");
    job.backoff.base = naq::Millis(b.value("base_ms", int64_t{1000}));
    job.backoff.max = naq::Millis(b.value("max_ms", int64_t{300'000}));
    job.backoff.jitter = b.value("jitter", true);
    job.backoff.kind = naq::backoff_kind_from_string(b.value("kind", std::string("exponential")));
    return job;
}

struct Options {
    long n = 200'000;
    int rounds = 5;
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        if (flag == "--n") {
            o.n = std::atol(argv[i + 1]);
        } else if (flag == "--rounds") {
            o.rounds = std::atoi(argv[i + 1]);
        } else {
            std::fprintf(stderr, "usage: bench_codec [--n N] [--rounds R]\n");
            std::exit(2);
        }
    }
    if (o.n <= 0 || o.rounds <= 0) {
        std::fprintf(stderr, "bench_codec: --n and --rounds must be positive\n");
        std::exit(2);
    }
    return o;
}

// Best of `rounds` runs of n calls of `one`: nanoseconds per call.
template <class F>
double ns_per_call(const Options& o, F&& one) {
    double best = 1e300;
    for (int r = 0; r < o.rounds; ++r) {
        auto start = Clock::now();
        for (long i = 0; i < o.n; ++i) one();
        double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / static_cast<double>(o.n);
        if (ns < best) best = ns;
    }
    return best;
}

volatile std::size_t g_sink = 0;  // keeps the work from being optimized away

void row(const char* what, double ns, double baseline_ns) {
    std::printf("| %-58s | %9.0f | %6.2fx |\n", what, ns, baseline_ns / ns);
}

[[noreturn]] void mismatch(const char* what, const std::string& a, const std::string& b) {
    std::fprintf(stderr, "bench_codec: %s differ:\n  %s\n  %s\n", what, a.c_str(), b.c_str());
    std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    const naq::Job job = sample_job();
    const naq::JobStatus status = running_status(job);
    const std::string envelope = naq::codec::encode(job);

    // Same bytes from every encoder (nlohmann's tree keeps insertion order: compared as values).
    if (rapid_encode(job) != envelope) mismatch("job envelopes", rapid_encode(job), envelope);
    if (rapid_encode(status) != naq::codec::encode(status)) {
        mismatch("status records", rapid_encode(status), naq::codec::encode(status));
    }
    if (nlohmann_decode(envelope).args != naq::codec::decode_job(envelope).args) {
        mismatch("decoded args", std::string(naq::codec::decode_job(envelope).args.text()), envelope);
    }

    std::printf("bench_codec: best of %d rounds of %ld records, ns per record (lower is better)\n\n", o.rounds, o.n);
    std::printf("| %-58s | %9s | %7s |\n", "encode (job envelope + running status)", "ns", "vs naq");
    std::printf("|%s|%s|%s|\n", std::string(60, '-').c_str(), std::string(11, '-').c_str(),
                std::string(9, '-').c_str());
    const double naq_encode =
        ns_per_call(o, [&] { g_sink = g_sink + naq::codec::encode(job).size() + naq::codec::encode(status).size(); });
    const double rapid =
        ns_per_call(o, [&] { g_sink = g_sink + rapid_encode(job).size() + rapid_encode(status).size(); });
    const double nlohmann_encode = ns_per_call(o, [&] {
        g_sink = g_sink + naq::codec::to_json(job).dump().size() + naq::codec::to_json(status).dump().size();
    });
    row("naq JsonWriter (codec::encode)", naq_encode, naq_encode);
    row("RapidJSON Writer, same members", rapid, naq_encode);
    row("nlohmann dump(to_json(...))", nlohmann_encode, naq_encode);

    std::printf("\n| %-58s | %9s | %7s |\n", "decode (job envelope)", "ns", "vs naq");
    std::printf("|%s|%s|%s|\n", std::string(60, '-').c_str(), std::string(11, '-').c_str(),
                std::string(9, '-').c_str());
    const double lazy = ns_per_call(o, [&] { g_sink = g_sink + naq::codec::decode_job(envelope).id.size(); });
    const double lazy_parsed =
        ns_per_call(o, [&] { g_sink = g_sink + naq::codec::decode_job(envelope).args.json().size(); });
    const double tree = ns_per_call(o, [&] { g_sink = g_sink + nlohmann_decode(envelope).id.size(); });
    row("simdjson on demand, args kept as text (codec::decode_job)", lazy, lazy);
    row("the same, then the handler parses its args", lazy_parsed, lazy);
    row("nlohmann tree, then fields (the decoder before)", tree, lazy);
    std::printf("\nenvelope: %zu bytes; status record: %zu bytes\n", envelope.size(),
                naq::codec::encode(status).size());
    return 0;
}
