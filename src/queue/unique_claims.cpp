// Taking and giving back unique jobs' keys (see unique_claims.hpp).
#include "queue/unique_claims.hpp"

#include <spdlog/spdlog.h>

#include "core/json_fields.hpp"
#include "core/unique_record.hpp"
#include "naq/durations.hpp"
#include "naq/errors.hpp"
#include "naq/names.hpp"
#include "results/job_records.hpp"

namespace naq::detail {

namespace {

/// The longest unique_key given: it is hashed, but it is also the caller's to keep readable.
constexpr std::size_t kMaxUniqueKeyBytes = 1024;
/// How long a key whose holder has no record yet still counts as held: the producer that took
/// it writes the record right after (a crash in between leaves a key that lapses after this).
constexpr Millis kRecordGrace{30'000};
/// Rounds of "create, else read and maybe take over" before giving up on a key that keeps changing.
constexpr int kTakeRounds = 8;

// `value` as compact JSON with every object's keys sorted (naq's Json keeps insertion order; a
// std::map-backed nlohmann::json sorts them). Bytes that are not UTF-8 are written as U+FFFD.
std::string sorted_json(const Json& value) {
    return nlohmann::json::parse(json_fields::dump(value))
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

UniqueClaim unique_claim_for(const Config& config, const std::string& queue, const std::string& task, const Json& args,
                             const EnqueueOptions& options, int64_t now_ms) {
    const Millis unique_for = options.unique_for.value_or(Millis(0));
    if (unique_for <= Millis(0) || unique_for > config.results.ttl) {
        throw InvalidArgument("unique_for must be more than 0 and at most results.ttl (" +
                              format_duration(config.results.ttl) + "), got " + format_duration(unique_for));
    }
    if (options.unique_key.size() > kMaxUniqueKeyBytes) {
        throw InvalidArgument("unique_key is " + std::to_string(options.unique_key.size()) + " bytes, over the " +
                              std::to_string(kMaxUniqueKeyBytes) + " allowed");
    }
    // The default key is the task and its args as compact JSON with sorted keys, so the same
    // call made twice gets the same key whatever order the args were built in.
    const std::string text = options.unique_key.empty() ? task + "\n" + sorted_json(args) : options.unique_key;
    return UniqueClaim{names::unique_claim_key(queue, text), now_ms + unique_for.count(), options.unique_until};
}

UniqueClaims::UniqueClaims(const Config& config) : kv_(kv_store(Bucket::unique, config)) {}

ClaimOutcome UniqueClaims::take(const Job& job, const JobRecords& records) const {
    const UniqueClaim& claim = job.unique.value();
    UniqueRecord mine{job.id, job.queue, now_ms(), claim.until_ms, claim.until};
    const std::string value = encode(mine);
    for (int round = 0; round < kTakeRounds; ++round) {
        try {
            return {true, {}, kv_.create(claim.key, value)};
        } catch (const Conflict&) {
            // Held, or was: look at who holds it.
        }
        std::optional<KvEntry> held = kv_.try_get(claim.key);
        if (!held) continue;  // given back in between: create again
        if (auto holder = holder_in_force(*held, records, now_ms())) return {false, std::move(*holder), 0};
        try {
            return {true, {}, kv_.update(claim.key, value, held->revision)};
        } catch (const Conflict&) {
            // Another producer took it over first: look again.
        }
    }
    throw Conflict("unique key " + claim.key + " of job " + job.id + " changed " + std::to_string(kTakeRounds) +
                   " times while it was being taken; enqueue again");
}

std::optional<std::string> UniqueClaims::holder_in_force(const KvEntry& entry, const JobRecords& records,
                                                         int64_t now) const {
    UniqueRecord held;
    try {
        held = decode_unique_record(entry.value);
    } catch (const SerializationError& e) {
        spdlog::warn("unique key {} in {}: unreadable record ({}); taking it over", entry.key, kv_.bucket(), e.what());
        return std::nullopt;
    }
    bool in_force = now < held.until_ms;
    if (in_force && held.until == UniqueUntil::finished) {
        try {
            std::optional<StoredStatus> found = records.find(held.job_id);
            in_force = found ? !is_final(found->status.state) : now - held.at_ms <= kRecordGrace.count();
        } catch (const SerializationError& e) {
            spdlog::warn("unique key {}: the record of its job {} is unreadable ({}); the key holds until it expires",
                         entry.key, held.job_id, e.what());
        }
    }
    if (!in_force) return std::nullopt;
    return std::move(held.job_id);
}

void UniqueClaims::give_back(const Job& job) const noexcept {
    if (!job.unique) return;
    const std::string& key = job.unique->key;
    try {
        std::optional<KvEntry> held = kv_.try_get(key);
        if (!held || decode_unique_record(held->value).job_id != job.id) return;  // not (or no longer) ours
        kv_.erase(key, held->revision);
    } catch (const std::exception& e) {
        // Another job took it over in between (Conflict), or the server did not answer: the key
        // lapses on its own (at its until, or once this job's record is final).
        spdlog::debug("job {} queue {}: unique key {} not given back: {}", job.id, job.queue, key, e.what());
    }
}

}  // namespace naq::detail
