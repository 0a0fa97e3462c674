#include "naq/names.hpp"

#include <openssl/sha.h>

#include <algorithm>

#include "naq/errors.hpp"
#include "naq/job.hpp"

namespace naq::names {

namespace {
std::string join(const Config& c, std::string_view sep, std::string_view rest) {
    std::string s = c.jetstream.prefix;
    s.append(sep).append(rest);
    return s;
}
}  // namespace

std::string jobs_stream(const Config& c) { return join(c, "_", "jobs"); }
std::string queue_subject(const Config& c, std::string_view queue) { return join(c, ".queue.", queue); }
std::string all_queues_subject(const Config& c) { return join(c, ".queue.", "*"); }
std::string worker_consumer(const Config& c, std::string_view queue) { return join(c, "-worker-", queue); }
std::string queue_subject(const Config& c, std::string_view queue, Priority priority) {
    std::string s = queue_subject(c, queue);
    return priority == Priority::normal ? s : s + "." + to_string(priority);
}
std::string all_queue_levels_subject(const Config& c) { return join(c, ".queue.", "*.*"); }
std::string worker_consumer(const Config& c, std::string_view queue, Priority priority) {
    if (priority == Priority::normal) return worker_consumer(c, queue);
    return join(c, "-" + std::string(to_string(priority)) + "-", queue);
}

std::string failed_stream(const Config& c) { return join(c, "_", "failed_jobs"); }
std::string failed_subject(const Config& c, std::string_view queue) { return join(c, ".failed.", queue); }
std::string all_failed_subject(const Config& c) { return join(c, ".failed.", "*"); }

std::string events_stream(const Config& c) { return join(c, "_", "events"); }
std::string event_subject(const Config& c, std::string_view queue, std::string_view type, std::string_view id) {
    std::string s = join(c, ".events.", queue);
    s.append(".").append(type).append(".").append(id);
    return s;
}
std::string all_events_subject(const Config& c) { return join(c, ".events.", ">"); }
std::string worker_event_subject(const Config& c, std::string_view type, std::string_view worker_id) {
    return event_subject(c, kWorkerEventsQueue, type, to_token(worker_id));
}
std::string scheduler_event_subject(const Config& c, std::string_view type, std::string_view schedule_id) {
    return event_subject(c, kSchedulerEventsQueue, type, to_token(schedule_id));
}
std::string events_filter(const Config& c, std::string_view queue, std::string_view type, std::string_view id) {
    auto part = [](std::string_view p) { return p.empty() ? std::string_view("*") : p; };
    return event_subject(c, part(queue), part(type), part(id));
}
std::string to_token(std::string_view text) {
    std::string out(text.empty() ? std::string_view("_") : text);
    for (char& ch : out) {
        bool ok =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
        if (!ok) ch = '_';
    }
    return out;
}
std::string cancel_subject(const Config& c) { return join(c, ".control.", "cancel"); }

std::string results_bucket(const Config& c) { return join(c, "_", "results"); }
std::string job_status_bucket(const Config& c) { return join(c, "_", "job_status"); }
std::string workers_bucket(const Config& c) { return join(c, "_", "workers"); }
std::string scheduled_jobs_bucket(const Config& c) { return join(c, "_", "scheduled_jobs"); }
std::string scheduler_lock_bucket(const Config& c) { return join(c, "_", "scheduler_lock"); }
std::string cancellations_bucket(const Config& c) { return join(c, "_", "cancellations"); }
std::string queues_bucket(const Config& c) { return join(c, "_", "queues"); }
std::string unique_bucket(const Config& c) { return join(c, "_", "unique"); }
std::string batches_bucket(const Config& c) { return join(c, "_", "batches"); }
std::string limits_bucket(const Config& c) { return join(c, "_", "limits"); }
std::string rate_window_key(std::string_view queue) { return std::string(queue) + ".rate"; }
std::string running_jobs_key(std::string_view queue) { return std::string(queue) + ".running"; }
std::string task_running_key(std::string_view queue, std::string_view task) {
    return unique_claim_key(queue, task) + ".running";
}

std::string unique_claim_key(std::string_view queue, std::string_view unique_key) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(unique_key.data()), unique_key.size(), digest);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string key(queue);
    key += '.';
    for (unsigned char byte : digest) {
        key += kHex[byte >> 4];
        key += kHex[byte & 0x0f];
    }
    return key;
}

bool valid_unique_claim_key(std::string_view key) {
    constexpr std::size_t kDigits = 2 * SHA256_DIGEST_LENGTH;
    if (key.size() < kDigits + 2) return false;
    const std::size_t dot = key.size() - kDigits - 1;
    if (key[dot] != '.' || !valid_token(key.substr(0, dot))) return false;
    return std::all_of(key.begin() + static_cast<std::ptrdiff_t>(dot) + 1, key.end(),
                       [](char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'); });
}

namespace {

bool id_char(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

// At most 64 characters of a user's text in an error message: an id can be hostile.
std::string shown(std::string_view text) {
    return text.size() <= 64 ? std::string(text) : std::string(text.substr(0, 64)) + "…";
}

}  // namespace

bool valid_token(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (char ch : name) {
        if (!id_char(ch)) return false;
    }
    return true;
}

bool valid_job_id(std::string_view id) {
    if (id.empty() || id.size() > kMaxJobIdLength) return false;
    for (char ch : id) {
        if (!id_char(ch)) return false;
    }
    return true;
}

void check_job_id(std::string_view id) {
    if (id.empty() || id.size() > kMaxJobIdLength) {
        throw InvalidArgument("job id must be 1-" + std::to_string(kMaxJobIdLength) + " characters (got " +
                              std::to_string(id.size()) + ")");
    }
    if (!valid_job_id(id)) throw InvalidArgument("job id '" + shown(id) + "' may only use A-Z a-z 0-9 _ -");
}

void check_token(std::string_view name, std::string_view what) {
    if (!valid_token(name)) {
        throw InvalidArgument(std::string(what) + " '" + shown(name) +
                              "' is not valid: use 1-64 characters of A-Z a-z 0-9 _ -");
    }
}

}  // namespace naq::names
