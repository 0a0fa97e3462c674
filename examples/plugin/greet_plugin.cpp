// An example task plugin: build it as a shared library and start a worker with
//   naq worker --plugin ./libnaq_example_plugin.so
// Every plugin exports one C function that adds its tasks to the worker's registry.
#include <naq/task_registry.hpp>

#include <string>

extern "C" void naq_register(naq::TaskRegistry& registry) {
    registry.add("greet", [](naq::JobContext& ctx, const naq::Json& args) -> naq::Json {
        std::string name = args.value("name", std::string("world"));
        ctx.log_info("greeting " + name);
        return {{"greeting", "hello, " + name}, {"job", ctx.job_id()}};
    });
}
