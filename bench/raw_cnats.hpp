// The raw cnats JetStream baseline, measured on the same server in the same run as naq.
#pragma once

#include <string>

#include "bench_common.hpp"

namespace naq::bench {

struct RawResults {
    double async_publish_rate = 0;  ///< 100-byte messages, 4096 pending, all acked (msgs/s)
    /// The same with what an idempotent enqueue needs: a job-sized (250 B) message carrying a
    /// unique Nats-Msg-Id, which the server checks against its dedup window.
    double async_publish_msg_id_rate = 0;
    double sync_publish_rate = 0;  ///< one publish, wait for its ack, next (msgs/s)
    double fetch_ack_rate = 0;     ///< pull fetch(256) + plain ack of each, one thread (msgs/s)
    Percentiles latency;           ///< sync publish → a consumer waiting in fetch(1) has it
};

/// Runs every raw measurement on a stream of its own (deleted afterwards).
RawResults run_raw(const std::string& url, const Options& options);

}  // namespace naq::bench
