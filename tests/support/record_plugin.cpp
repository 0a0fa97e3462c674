// Test plugin: task "record" sleeps args.ms, then appends the job id to $NAQ_RECORD_FILE, one
// line per execution. The fault tests count lines to find lost and duplicated executions.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <naq/task_registry.hpp>
#include <string>

extern "C" void naq_register(naq::TaskRegistry& registry) {
    registry.add("record", [](naq::JobContext& ctx, const naq::Json& args) -> naq::Json {
        ctx.sleep_for(std::chrono::milliseconds(args.value("ms", 0)));
        const char* path = std::getenv("NAQ_RECORD_FILE");
        if (path == nullptr) throw std::runtime_error("NAQ_RECORD_FILE is not set");
        std::string line = ctx.job_id() + "\n";
        int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0) throw std::runtime_error(std::string("cannot open ") + path);
        // One small O_APPEND write: lines from concurrent processes never interleave.
        ssize_t n = ::write(fd, line.data(), line.size());
        ::close(fd);
        if (n != static_cast<ssize_t>(line.size())) throw std::runtime_error("short write");
        return nullptr;
    });
}
