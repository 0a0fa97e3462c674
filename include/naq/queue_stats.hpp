// Queue statistics for `naq queues` and `naq top`: the live counts of each queue plus its dead
// letters, the live workers serving it and its recent throughput.
#pragma once

#include <cstdint>
#include <vector>

#include "naq/config.hpp"
#include "naq/queue.hpp"

namespace naq {

/// One row of `naq queues`.
struct QueueStats {
    QueueCounts counts;
    uint64_t dead = 0;  ///< messages of this queue in the dead-letter stream
    int workers = 0;    ///< live workers serving the queue
    /// Jobs of the queue that live workers finished (succeeded, dead-lettered, cancelled) in their
    /// last minute, and the rate: each worker reports both in its status record (heartbeat
    /// samples of its own counters), and they are summed here. Workers that stopped do not count.
    uint64_t finished_recently = 0;
    double per_second = 0;
    QueueControl control;  ///< paused or not, why, since when (Queue::pause)
};

/// Every queue that has jobs, a worker consumer, dead letters, a live worker or a control
/// record, sorted by name. Costs the requests of list_queues() plus one for the dead letters
/// and one watch each of the workers and queues buckets.
std::vector<QueueStats> queue_stats(const Config& config = default_config());

}  // namespace naq
