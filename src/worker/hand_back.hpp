// Handing a job back to the server (nak) from any part of the worker. A failure (the connection
// is gone) is logged, never thrown: the job then comes back after the ack wait anyway.
// Private to src/worker.
#pragma once

#include <string_view>

#include "naq/jetstream.hpp"
#include "worker_log.hpp"

namespace naq {

/// Naks `msg`: redelivered after `delay` (0 = at once). `about` names it in the log ("job X").
void hand_back(Message& msg, Millis delay, const WorkerLog& log, std::string_view about);

}  // namespace naq
