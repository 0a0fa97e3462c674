// KV buckets on a pooled connection (see connection.hpp for how handles are acquired).
//
//   auto kv = naq::kv_store(naq::Bucket::job_status, config);
//   auto entry = kv.try_get(job_id);
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "naq/connection.hpp"

namespace naq {

namespace detail {
struct WatcherDeleter {
    void operator()(kvWatcher* w) const noexcept;
};
}  // namespace detail

/// The naq KV buckets; names are "<prefix>_<bucket>" (see names.hpp).
enum class Bucket {
    results,
    job_status,
    workers,
    scheduled_jobs,
    scheduler_lock,
    cancellations,
    queues,
    unique,
    batches,
    limits
};

/// What a KvEntry from a watcher means; caught_up marks the end of the initial values.
enum class KvOp { put, erase, purge, caught_up };

/// One KV value (or, from a watcher, a change).
struct KvEntry {
    std::string key;
    std::string value;
    uint64_t revision = 0;
    std::chrono::system_clock::time_point created{};
    KvOp op = KvOp::put;
};

/// Streams changes of matching keys. First the current values, then a KvOp::caught_up marker,
/// then live changes. Stops on scope exit.
class KvWatcher {
public:
    /// The next entry, or nullopt when nothing arrives within `timeout`.
    /// Throws Cancelled once stop() was called.
    std::optional<KvEntry> next(Millis timeout);
    /// Every entry up to the caught-up marker: the current values (and, with history, what came
    /// before). Throws Timeout "<what>: no answer within nats.request_timeout" when the server
    /// leaves a gap longer than `timeout`.
    std::vector<KvEntry> current(Millis timeout, std::string_view what);
    /// Makes a blocked next() return (throwing Cancelled); safe from another thread.
    void stop();

private:
    friend class KvStore;
    KvWatcher(kvWatcher* w, std::shared_ptr<detail::ConnectionState> conn)
        : w_(w), stopped_(std::make_unique<std::atomic<bool>>(false)), conn_(std::move(conn)) {}

    std::unique_ptr<kvWatcher, detail::WatcherDeleter> w_;
    std::unique_ptr<std::atomic<bool>> stopped_;
    std::shared_ptr<detail::ConnectionState> conn_;
};

/// What a bucket should look like; kv_store() creates it or checks an existing one.
struct BucketSpec {
    std::string name;
    Millis ttl{0};  ///< 0 = values never expire
    int history = 1;
    StorageType storage = StorageType::file;
    int replicas = 1;
    std::string description;
};

/// A KV bucket bound on a pooled connection. Copies share the binding.
class KvStore {
public:
    /// The current value. Throws NotFound when the key is missing or deleted.
    KvEntry get(const std::string& key) const;
    std::optional<KvEntry> try_get(const std::string& key) const;
    /// True when the key's latest entry is a delete or purge marker (try_get() answers nullopt
    /// both for such keys and for keys that never existed).
    bool erased(const std::string& key) const;
    /// Stores and returns the new revision. Wraps kvStore_Put.
    uint64_t put(const std::string& key, std::string_view value) const;
    /// Stores without waiting for the server's ack (a JetStream async publish to $KV.<bucket>.<key>).
    /// Errors are logged and counted in async_failures(). For the job hot path.
    void put_async(const std::string& key, std::string_view value) const;
    /// Waits until every put_async so far is acknowledged (or `timeout`).
    void flush_async(Millis timeout) const;
    /// Sends the put as a plain publish to $KV.<bucket>.<key>: no ack is requested or tracked,
    /// so a write the server refuses (storage full, bucket deleted) goes unreported. Order with
    /// everything else sent on this connection is kept. For best-effort records on the hot path
    /// (job status and results next to a job ack that does not wait either): about a third
    /// cheaper per job than put_async, whose per-write ack bookkeeping dominates in cnats.
    void put_nowait(const std::string& key, std::string_view value) const;
    /// As put_nowait, but the server stores it only when the key has no entry yet (a record
    /// that exists, whatever its state, is kept).
    void create_nowait(const std::string& key, std::string_view value) const;
    /// Stores only if the key does not exist; else throws Conflict.
    uint64_t create(const std::string& key, std::string_view value) const;
    /// Stores only if the key's last revision is `last_revision`; else throws Conflict.
    uint64_t update(const std::string& key, std::string_view value, uint64_t last_revision) const;
    /// Marks the key deleted (history kept). Wraps kvStore_Delete.
    void erase(const std::string& key) const;
    /// Marks the key deleted only if its latest revision is still `last_revision`; throws
    /// Conflict when it has changed since (compare-and-delete, which kvStore_Delete cannot do).
    void erase(const std::string& key, uint64_t last_revision) const;
    /// Removes the key and its history. Wraps kvStore_Purge.
    void purge(const std::string& key) const;
    /// Every live key. Empty when the bucket is empty.
    std::vector<std::string> keys() const;
    /// Watches `pattern` ("*", "job.*", an exact key).
    KvWatcher watch(const std::string& pattern, bool include_history = false) const;

    const std::string& bucket() const { return bucket_; }
    const Connection& connection() const { return conn_; }
    uint64_t async_failures() const;
    kvStore* native_handle() const { return kv_; }

private:
    friend struct detail::ConnectionAccess;  // kv_store() builds it
    /// `kv` is owned by the connection pool.
    KvStore(Connection conn, kvStore* kv, std::string bucket, Millis request_timeout);

    Connection conn_;
    kvStore* kv_;  // owned by the pool; lives as long as the connection
    std::string bucket_;
    Millis request_timeout_;
};

/// Binds a naq bucket, creating it with the config's TTL, replicas and storage if missing.
KvStore kv_store(Bucket bucket, const Config& config = default_config());
/// Binds a naq bucket to read it: creates it like kv_store() when missing, but never changes an
/// existing bucket's TTL or history (a command line with another config must not reset what the
/// workers set, e.g. the workers bucket's worker.worker_ttl).
KvStore kv_store_reader(Bucket bucket, const Config& config = default_config());
/// Binds any bucket, creating it from `spec` if missing.
KvStore kv_store(const BucketSpec& spec, const Config& config = default_config());

}  // namespace naq
