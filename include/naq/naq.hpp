// Everything a naq user needs: producing jobs, running workers, reading results.
#pragma once

#include "naq/codec.hpp"
#include "naq/config.hpp"
#include "naq/connection.hpp"
#include "naq/cron.hpp"
#include "naq/errors.hpp"
#include "naq/job.hpp"
#include "naq/json.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "naq/results.hpp"
#include "naq/schedule.hpp"
#include "naq/scheduler.hpp"
#include "naq/task_registry.hpp"
#include "naq/version.hpp"
#include "naq/worker.hpp"
