// Handing a job back (see hand_back.hpp).
#include "hand_back.hpp"

#include <exception>

namespace naq {

void hand_back(Message& msg, Millis delay, const WorkerLog& log, std::string_view about) {
    try {
        if (delay.count() > 0) {
            msg.nak(delay);
        } else {
            msg.nak();
        }
    } catch (const std::exception& e) {
        log(spdlog::level::warn, "{}: handing back failed ({}); it is redelivered after worker.ack_wait", about,
            e.what());
    }
}

}  // namespace naq
