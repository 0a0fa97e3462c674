// dead_letter_page(): a bounded, filtered read of the dead-letter stream.
#include "naq/dead_letter_pages.hpp"

#include "naq/codec.hpp"
#include "naq/jetstream.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"

namespace naq {

bool DeadLetterFilter::matches(const DeadLetter& d) const {
    if (!queue.empty() && d.queue != queue) return false;
    if (!task.empty() && d.task != task) return false;
    return reason.empty() || d.reason == reason || d.error.find(reason) != std::string::npos;
}

DeadLetterPage dead_letter_page(const Config& config, const DeadLetterFilter& filter, uint64_t after,
                                std::size_t limit) {
    // Bounds the work of one request on a stream of any size.
    constexpr uint64_t kMaxRead = 5000;
    if (!filter.queue.empty()) names::check_token(filter.queue, "queue name");
    ensure_job_streams(config);
    const std::string stream = names::failed_stream(config);
    const std::string subject =
        filter.queue.empty() ? names::all_failed_subject(config) : names::failed_subject(config, filter.queue);
    auto js = jetstream(config);
    DeadLetterPage out;
    if (filter.queue.empty()) {
        out.total = js.stream_state(stream).messages;
    } else {
        for (const auto& [s, n] : js.subject_counts(stream, subject)) out.total += n;
    }
    if (out.total == 0 || limit == 0) return out;
    ReadSpec spec;
    spec.stream = stream;
    spec.filter = subject;
    spec.start_sequence = after + 1;
    StreamReader reader = js.read(spec);
    uint64_t left = reader.initial_pending();
    uint64_t last_read = after;
    for (uint64_t read = 0; left > 0; ++read) {
        if (read == kMaxRead || out.items.size() == limit) {
            out.next = last_read;  // more are stored: the next page starts after the last one read
            break;
        }
        auto m = reader.next(config.nats.request_timeout);
        if (!m) break;
        --left;
        last_read = m->sequence;
        DeadLetter d = codec::decode_dead_letter(m->sequence, m->data);
        if (filter.matches(d)) out.items.push_back(std::move(d));
    }
    return out;
}

}  // namespace naq
