#include "naq/task_registry.hpp"

#include <dlfcn.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "naq/errors.hpp"

namespace naq {

JobContext::JobContext(std::string id, std::string queue, std::string task, int attempt, int max_attempts,
                       std::shared_ptr<CancelState> cancel, ProgressSink progress_sink)
    : id_(std::move(id)),
      queue_(std::move(queue)),
      task_(std::move(task)),
      attempt_(attempt),
      max_attempts_(max_attempts),
      cancel_(std::move(cancel)),
      progress_sink_(std::move(progress_sink)) {}

void JobContext::progress(double fraction, std::string_view message) {
    constexpr std::size_t kMaxMessage = 1024;
    if (!progress_sink_) return;
    if (!(fraction >= 0)) fraction = 0;  // also NaN
    if (fraction > 1) fraction = 1;
    JobProgress p{fraction, std::string(message.substr(0, kMaxMessage)), now_ms()};
    progress_sink_(p);
}

bool JobContext::cancelled() const {
    if (cancel_->cancelled.load(std::memory_order_acquire)) return true;
    return cancel_->deadline && std::chrono::steady_clock::now() >= *cancel_->deadline;
}

void JobContext::check_cancelled() const {
    if (!cancelled()) return;
    bool explicit_cancel = cancel_->cancelled.load(std::memory_order_acquire);
    throw Cancelled(explicit_cancel && !cancel_->reason.empty() ? cancel_->reason : "deadline exceeded");
}

void JobContext::sleep_for(std::chrono::milliseconds d) const {
    auto until = std::chrono::steady_clock::now() + d;
    while (true) {
        check_cancelled();
        auto now = std::chrono::steady_clock::now();
        if (now >= until) return;
        std::this_thread::sleep_for(
            std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(5)));
    }
}

void JobContext::log_info(std::string_view message) const {
    spdlog::info("[job {} queue {} task {}] {}", id_, queue_, task_, message);
}

void JobContext::log_warn(std::string_view message) const {
    spdlog::warn("[job {} queue {} task {}] {}", id_, queue_, task_, message);
}

TaskRegistry::~TaskRegistry() {
    handlers_.clear();  // handlers may live in plugin code: drop them before unloading
    for (void* handle : plugins_) dlclose(handle);
}

void TaskRegistry::add(const std::string& name, TaskHandler handler) {
    if (name.empty()) throw InvalidArgument("task name must not be empty");
    if (!handler) throw InvalidArgument("task '" + name + "' has no handler");
    handlers_[name] = std::move(handler);
}

const TaskHandler* TaskRegistry::find(const std::string& name) const {
    auto it = handlers_.find(name);
    return it == handlers_.end() ? nullptr : &it->second;
}

std::vector<std::string> TaskRegistry::names() const {
    std::vector<std::string> out;
    for (const auto& [name, handler] : handlers_) out.push_back(name);
    return out;
}

void TaskRegistry::load_plugin(const std::string& path) {
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) throw Error("plugin " + path + ": " + dlerror());
    using RegisterFn = void (*)(TaskRegistry&);
    auto fn = reinterpret_cast<RegisterFn>(dlsym(handle, "naq_register"));
    if (fn == nullptr) {
        dlclose(handle);
        throw Error("plugin " + path + ": no symbol naq_register (declare it extern \"C\")");
    }
    auto before = handlers_.size();
    fn(*this);
    plugins_.push_back(handle);
    spdlog::info("plugin {}: {} task(s) registered", path, handlers_.size() - before);
}

}  // namespace naq
