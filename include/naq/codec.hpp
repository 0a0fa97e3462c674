// The JSON wire codec: envelopes and records to text and back. Unknown fields are ignored;
// a missing or ill-typed required field is a SerializationError naming the field.
#pragma once

#include <string>
#include <string_view>

#include "naq/job.hpp"

namespace naq::codec {

/// The envelope as published to `<prefix>.queue.<queue>` (docs/wire-format.md).
std::string encode(const Job& job);
/// Decodes an envelope. `queue_hint` fills "queue" when the envelope leaves it out (the subject
/// already says which queue).
Job decode_job(std::string_view text, std::string_view queue_hint = {});

/// A job status record (bucket job_status); decode_status throws SerializationError.
std::string encode(const JobStatus& status);
JobStatus decode_status(std::string_view text);

/// A result record (bucket results); decode_result throws SerializationError.
std::string encode(const JobResult& result);
JobResult decode_result(std::string_view text);

/// The same records as JSON objects (for printing, e.g. `naq job --json`).
Json to_json(const JobStatus& status);
/// A progress report as the job record and the progress event carry it: {"fraction","message","at"}.
Json progress_json(const JobProgress& progress);
/// A unique job's claim as the envelope (options.unique) and the job record carry it:
/// {"key","until","mode"}. unique_from_json throws SerializationError naming `what`.
Json unique_json(const UniqueClaim& unique);
UniqueClaim unique_from_json(const Json& json, std::string_view what);
/// A batch job's place as the envelope (options.batch) and the job record carry it: {"id","index"}.
Json batch_member_json(const BatchMember& member);
BatchMember batch_member_from_json(const Json& json, std::string_view what);
Json to_json(const JobResult& result);
Json to_json(const Job& job);

/// The dead letter of a job that will not run again (reason failed | unknown_task |
/// dependency_failed | max_deliveries): the job itself, its last error and every attempt's error.
/// With `max_bytes` (the server's max_payload; 0 = no limit) a record that would not fit drops,
/// in turn, the job's args (`args_dropped`: their size), all but the last attempt's error
/// (`errors_dropped`: how many) and the job's earlier lives, saying so in the record.
std::string encode_dead_letter(const Job& job, const JobStatus& status, std::string_view reason,
                               std::string_view worker, std::size_t max_bytes = 0);
/// The dead letter of a message that is not a job, and why: its bytes in `raw` when they are
/// UTF-8, else in `raw_base64`. With `max_bytes` a message too big to fit keeps its first bytes
/// only, and `raw_size` says how many there were.
std::string encode_undecodable_dead_letter(std::string_view queue, std::string_view raw, std::string_view error,
                                           std::string_view worker, int64_t failed_at_ms, std::size_t max_bytes = 0);
/// Reads a dead letter; never throws: a record that is not a JSON object comes back with
/// reason "unreadable" and its text in record["raw"].
DeadLetter decode_dead_letter(uint64_t sequence, std::string_view text);

/// A cancel request (cancellations bucket, key = job id): {"v":1,"id":...,"at":...}. Workers
/// act on the key alone; the record says who asked when.
std::string encode_cancel_request(std::string_view job_id, int64_t at_ms);

}  // namespace naq::codec
