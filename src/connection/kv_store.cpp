// KV buckets: bind-or-create once per connection, then cheap handles.
#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <cstring>

#include "connection_state.hpp"
#include "naq/kv_store.hpp"
#include "naq/names.hpp"
#include "nats_check.hpp"

namespace naq {

using detail::check;

namespace detail {
void WatcherDeleter::operator()(kvWatcher* w) const noexcept { kvWatcher_Destroy(w); }
}  // namespace detail

namespace {

constexpr int64_t kNanosPerMilli = 1'000'000;
constexpr int kWrongLastSequence = 10071;

KvEntry to_entry(kvEntry* e) {
    KvEntry out;
    out.key = kvEntry_Key(e);
    out.value.assign(static_cast<const char*>(kvEntry_Value(e)), static_cast<std::size_t>(kvEntry_ValueLen(e)));
    out.revision = kvEntry_Revision(e);
    out.created = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(kvEntry_Created(e))));
    switch (kvEntry_Operation(e)) {
        case kvOp_Delete: out.op = KvOp::erase; break;
        case kvOp_Purge: out.op = KvOp::purge; break;
        default: out.op = KvOp::put;
    }
    return out;
}

struct EntryOwner {
    kvEntry* e = nullptr;
    ~EntryOwner() {
        if (e != nullptr) kvEntry_Destroy(e);
    }
};

// KV writes that lose an optimistic race come back as a plain NATS_ERR; the server's text
// says "wrong last sequence". Report them as Conflict.
[[noreturn]] void throw_kv_write_error(natsStatus s, const std::string& what) {
    natsStatus last = NATS_OK;
    const char* text = nats_GetLastError(&last);
    bool race = text != nullptr &&
                (std::strstr(text, "wrong last sequence") != nullptr || std::strstr(text, "key exists") != nullptr);
    detail::throw_nats_error(s, what, race ? kWrongLastSequence : 0);
}

// Brings an existing bucket's TTL and history in line with the spec (both can change in place).
void reconcile(jsCtx* js, const BucketSpec& spec, std::chrono::milliseconds budget) {
    std::string stream = "KV_" + spec.name;
    jsStreamInfo* si = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    check(detail::request_jetstream(
              budget, "bucket info " + spec.name,
              [&](jsOptions* o, jsErrCode* c) { return js_GetStreamInfo(&si, js, stream.c_str(), o, c); }, code),
          "bucket info " + spec.name, code);
    std::unique_ptr<jsStreamInfo, decltype(&jsStreamInfo_Destroy)> owned(si, jsStreamInfo_Destroy);
    jsStreamConfig cfg = *si->Config;
    detail::warn_fewer_replicas(stream, static_cast<int>(cfg.Replicas), spec.replicas);
    jsStorageType want_storage = spec.storage == StorageType::memory ? js_MemoryStorage : js_FileStorage;
    if (cfg.Storage != want_storage) {
        throw Conflict("bucket " + spec.name + " exists with " + (cfg.Storage == js_MemoryStorage ? "memory" : "file") +
                       " storage but the config asks for " + to_string(spec.storage) +
                       "; delete the bucket or change jetstream.storage");
    }
    int64_t want_age = spec.ttl.count() * kNanosPerMilli;
    if (cfg.MaxAge == want_age && cfg.MaxMsgsPerSubject == spec.history) return;
    spdlog::info("bucket {}: ttl {} ms -> {} ms, history {} -> {}", spec.name, cfg.MaxAge / kNanosPerMilli,
                 spec.ttl.count(), cfg.MaxMsgsPerSubject, spec.history);
    cfg.MaxAge = want_age;
    cfg.MaxMsgsPerSubject = spec.history;
    jsStreamInfo* updated = nullptr;
    check(js_UpdateStream(&updated, js, &cfg, nullptr, &code), "update bucket " + spec.name, code);
    jsStreamInfo_Destroy(updated);
}

kvStore* bind_or_create(detail::ConnectionState& state, const BucketSpec& spec, bool reconcile_existing = true) {
    std::lock_guard lock(state.buckets_mutex);
    auto it = state.buckets.find(spec.name);
    if (it != state.buckets.end()) return it->second;
    kvStore* kv = nullptr;
    const std::chrono::milliseconds budget(state.request_timeout_ms);
    jsErrCode unused = static_cast<jsErrCode>(0);
    natsStatus s = detail::request_jetstream(
        budget, "bind bucket " + spec.name,
        [&](jsOptions*, jsErrCode*) { return js_KeyValue(&kv, state.js, spec.name.c_str()); }, unused);
    if (s == NATS_NOT_FOUND) {
        kvConfig cfg;
        kvConfig_Init(&cfg);
        cfg.Bucket = spec.name.c_str();
        if (!spec.description.empty()) cfg.Description = spec.description.c_str();
        cfg.TTL = spec.ttl.count() * kNanosPerMilli;
        cfg.History = static_cast<uint8_t>(spec.history);
        cfg.StorageType = spec.storage == StorageType::memory ? js_MemoryStorage : js_FileStorage;
        cfg.Replicas = spec.replicas;
        s = js_CreateKeyValue(&kv, state.js, &cfg);
        if (s != NATS_OK && js_KeyValue(&kv, state.js, spec.name.c_str()) == NATS_OK) {
            // Another process created it between our lookup and our create: use theirs.
            s = NATS_OK;
        } else {
            check(s, "create bucket " + spec.name);
            spdlog::info("created bucket {} (ttl {} ms)", spec.name, spec.ttl.count());
        }
    } else {
        check(s, "bind bucket " + spec.name);
        try {
            if (reconcile_existing) reconcile(state.js, spec, budget);
        } catch (...) {
            kvStore_Destroy(kv);
            throw;
        }
    }
    state.buckets.emplace(spec.name, kv);
    return kv;
}

BucketSpec spec_for(Bucket bucket, const Config& c) {
    BucketSpec spec;
    spec.storage = c.jetstream.storage;
    spec.replicas = c.jetstream.replicas;
    switch (bucket) {
        case Bucket::results:
            spec.name = names::results_bucket(c);
            spec.ttl = c.results.ttl;
            spec.description = "naq job results";
            break;
        case Bucket::job_status:
            spec.name = names::job_status_bucket(c);
            spec.ttl = c.results.ttl;  // the record carries the result once the job succeeded
            spec.description = "naq job records";
            break;
        case Bucket::workers:
            spec.name = names::workers_bucket(c);
            spec.ttl = c.worker.worker_ttl;
            spec.description = "naq worker heartbeats";
            break;
        case Bucket::scheduled_jobs:
            spec.name = names::scheduled_jobs_bucket(c);
            spec.description = "naq schedules";
            break;
        case Bucket::cancellations:
            spec.name = names::cancellations_bucket(c);
            spec.ttl = c.results.ttl;  // a request outliving its job's record would be moot
            spec.description = "naq cancel requests";
            break;
        case Bucket::queues:
            spec.name = names::queues_bucket(c);
            spec.description = "naq queue control (pause / resume, limits)";
            break;
        case Bucket::unique:
            spec.name = names::unique_bucket(c);
            spec.ttl = c.results.ttl;  // a claim lasts at most as long as its job's record
            spec.description = "naq unique-job claims";
            break;
        case Bucket::batches:
            spec.name = names::batches_bucket(c);
            spec.ttl = c.results.ttl;  // as long as its jobs' records
            spec.description = "naq batches with a completion callback";
            break;
        case Bucket::limits:
            spec.name = names::limits_bucket(c);
            spec.description = "naq queue limits: rate windows, running jobs";
            break;
        case Bucket::scheduler_lock:
            spec.name = names::scheduler_lock_bucket(c);
            spec.ttl = c.scheduler.lock_ttl;
            spec.description = "naq scheduler leader lease";
            break;
    }
    return spec;
}

}  // namespace

// ---- KvWatcher

std::vector<KvEntry> KvWatcher::current(Millis timeout, std::string_view what) {
    std::vector<KvEntry> out;
    while (true) {
        std::optional<KvEntry> entry = next(timeout);
        if (!entry) throw Timeout(std::string(what) + ": no answer within nats.request_timeout");
        if (entry->op == KvOp::caught_up) return out;
        out.push_back(std::move(*entry));
    }
}

std::optional<KvEntry> KvWatcher::next(Millis timeout) {
    if (stopped_->load()) throw Cancelled("watcher stopped");
    kvEntry* e = nullptr;
    natsStatus s = kvWatcher_Next(&e, w_.get(), timeout.count());
    // After stop() cnats reports the closed subscription in several ways: all mean "stopped".
    if (stopped_->load()) {
        if (e != nullptr) kvEntry_Destroy(e);
        throw Cancelled("watcher stopped");
    }
    if (s == NATS_TIMEOUT) return std::nullopt;
    check(s, "watch");
    if (e == nullptr) {
        KvEntry marker;
        marker.op = KvOp::caught_up;
        return marker;
    }
    EntryOwner owner{e};
    return to_entry(e);
}

void KvWatcher::stop() {
    stopped_->store(true);
    kvWatcher_Stop(w_.get());
}

// ---- KvStore

KvStore::KvStore(Connection conn, kvStore* kv, std::string bucket, Millis request_timeout)
    : conn_(std::move(conn)), kv_(kv), bucket_(std::move(bucket)), request_timeout_(request_timeout) {}

KvEntry KvStore::get(const std::string& key) const {
    EntryOwner owner;
    natsStatus s = kvStore_Get(&owner.e, kv_, key.c_str());
    if (s == NATS_NOT_FOUND) throw NotFound("key '" + key + "' not found in bucket " + bucket_);
    check(s, "get " + key + " from " + bucket_);
    return to_entry(owner.e);
}

std::optional<KvEntry> KvStore::try_get(const std::string& key) const {
    EntryOwner owner;
    natsStatus s = kvStore_Get(&owner.e, kv_, key.c_str());
    if (s == NATS_NOT_FOUND) return std::nullopt;
    check(s, "get " + key + " from " + bucket_);
    return to_entry(owner.e);
}

bool KvStore::erased(const std::string& key) const {
    // kvStore_Get answers "not found" for deleted keys too; the stream's last message for the
    // key's subject tells a delete or purge marker from a key that never existed.
    std::string stream = "KV_" + bucket_;
    std::string subject = names::kv_subject(bucket_, key);
    natsMsg* msg = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_GetLastMsg(&msg, detail::state_of(conn_)->js, stream.c_str(), subject.c_str(), nullptr, &code);
    if (s == NATS_NOT_FOUND) return false;
    check(s, "read the last entry of " + key + " in " + bucket_, code);
    const char* op = nullptr;
    bool marker = natsMsgHeader_Get(msg, "KV-Operation", &op) == NATS_OK && op != nullptr;
    natsMsg_Destroy(msg);
    return marker;
}

uint64_t KvStore::put(const std::string& key, std::string_view value) const {
    uint64_t rev = 0;
    check(kvStore_Put(&rev, kv_, key.c_str(), value.data(), static_cast<int>(value.size())),
          "put " + key + " in " + bucket_);
    return rev;
}

void KvStore::put_async(const std::string& key, std::string_view value) const {
    std::string subject = names::kv_subject(bucket_, key);
    check(js_PublishAsync(detail::state_of(conn_)->js, subject.c_str(), value.data(), static_cast<int>(value.size()),
                          nullptr),
          "put " + key + " in " + bucket_);
}

void KvStore::put_nowait(const std::string& key, std::string_view value) const {
    std::string subject = names::kv_subject(bucket_, key);
    check(natsConnection_Publish(detail::state_of(conn_)->nc, subject.c_str(), value.data(),
                                 static_cast<int>(value.size())),
          "put " + key + " in " + bucket_);
}

void KvStore::create_nowait(const std::string& key, std::string_view value) const {
    std::string subject = names::kv_subject(bucket_, key);
    natsMsg* msg = nullptr;
    check(natsMsg_Create(&msg, subject.c_str(), nullptr, value.data(), static_cast<int>(value.size())),
          "create message");
    std::unique_ptr<natsMsg, decltype(&natsMsg_Destroy)> owned(msg, natsMsg_Destroy);
    // What kvStore_Create sends, without waiting for the answer.
    check(natsMsgHeader_Set(msg, "Nats-Expected-Last-Subject-Sequence", "0"), "set header");
    check(natsConnection_PublishMsg(detail::state_of(conn_)->nc, msg), "create " + key + " in " + bucket_);
}

void KvStore::flush_async(Millis timeout) const {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = timeout.count();
    check(js_PublishAsyncComplete(detail::state_of(conn_)->js, &po), "wait for KV writes to " + bucket_);
}

uint64_t KvStore::create(const std::string& key, std::string_view value) const {
    uint64_t rev = 0;
    natsStatus s = kvStore_Create(&rev, kv_, key.c_str(), value.data(), static_cast<int>(value.size()));
    if (s != NATS_OK) throw_kv_write_error(s, "create " + key + " in " + bucket_);
    return rev;
}

uint64_t KvStore::update(const std::string& key, std::string_view value, uint64_t last_revision) const {
    uint64_t rev = 0;
    natsStatus s = kvStore_Update(&rev, kv_, key.c_str(), value.data(), static_cast<int>(value.size()), last_revision);
    if (s != NATS_OK) throw_kv_write_error(s, "update " + key + " in " + bucket_);
    return rev;
}

void KvStore::erase(const std::string& key) const {
    check(kvStore_Delete(kv_, key.c_str()), "delete " + key + " from " + bucket_);
}

void KvStore::erase(const std::string& key, uint64_t last_revision) const {
    const std::string what = "delete " + key + " from " + bucket_;
    std::string subject = names::kv_subject(bucket_, key);
    natsMsg* msg = nullptr;
    check(natsMsg_Create(&msg, subject.c_str(), nullptr, nullptr, 0), "create message");
    std::unique_ptr<natsMsg, decltype(&natsMsg_Destroy)> owned(msg, natsMsg_Destroy);
    // What kvStore_Delete sends, with the stream's compare-and-set on the key's last revision.
    check(natsMsgHeader_Set(msg, "KV-Operation", "DEL"), "set header");
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.ExpectLastSubjectSeq = last_revision;
    po.MaxWait = request_timeout_.count();
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_PublishMsg(&ack, detail::state_of(conn_)->js, msg, &po, &code);
    jsPubAck_Destroy(ack);
    check(s, what, code);
}

void KvStore::purge(const std::string& key) const {
    check(kvStore_Purge(kv_, key.c_str(), nullptr), "purge " + key + " from " + bucket_);
}

std::vector<std::string> KvStore::keys() const {
    kvKeysList list{nullptr, 0};
    kvWatchOptions o;
    kvWatchOptions_Init(&o);
    o.Timeout = request_timeout_.count();
    natsStatus s = kvStore_Keys(&list, kv_, &o);
    std::vector<std::string> out;
    if (s == NATS_NOT_FOUND) return out;
    check(s, "list keys of " + bucket_);
    for (int i = 0; i < list.Count; ++i) out.emplace_back(list.Keys[i]);
    kvKeysList_Destroy(&list);
    return out;
}

KvWatcher KvStore::watch(const std::string& pattern, bool include_history) const {
    kvWatchOptions o;
    kvWatchOptions_Init(&o);
    o.IncludeHistory = include_history;
    kvWatcher* w = nullptr;
    check(kvStore_Watch(&w, kv_, pattern.c_str(), &o), "watch " + pattern + " in " + bucket_);
    return KvWatcher(w, detail::state_of(conn_));
}

uint64_t KvStore::async_failures() const { return detail::state_of(conn_)->callbacks->async_failures.load(); }

// ---- acquisition

KvStore kv_store(const BucketSpec& spec, const Config& config) {
    Connection conn = connection(config);
    kvStore* kv = bind_or_create(*detail::state_of(conn), spec);
    return detail::ConnectionAccess::kv_store(std::move(conn), kv, spec.name, config.nats.request_timeout);
}

KvStore kv_store(Bucket bucket, const Config& config) { return kv_store(spec_for(bucket, config), config); }

KvStore kv_store_reader(Bucket bucket, const Config& config) {
    BucketSpec spec = spec_for(bucket, config);
    Connection conn = connection(config);
    kvStore* kv = bind_or_create(*detail::state_of(conn), spec, /*reconcile_existing=*/false);
    return detail::ConnectionAccess::kv_store(std::move(conn), kv, spec.name, config.nats.request_timeout);
}

}  // namespace naq
