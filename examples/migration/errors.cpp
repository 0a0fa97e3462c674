// Migration samples: the error types that replace the Python naq's exceptions.
// Compiled by the build (target naq_migration_examples) and quoted in docs/pattern_migration_guide.md.
#include <naq/errors.hpp>
#include <naq/kv_store.hpp>

#include <iostream>
#include <string>

namespace naq_migration {

// Branch on types, never on message text.
int describe_lookup(const naq::Config& config, const std::string& job_id) {
    try {
        auto entry = naq::kv_store(naq::Bucket::results, config).get(job_id);
        std::cout << entry.value << "\n";
        return 0;
    } catch (const naq::NotFound&) {  // Python: KeyValueNotFound / KeyNotFoundError
        std::cerr << "no result yet for " << job_id << "\n";
        return 3;
    } catch (const naq::ApiError& e) {  // Python: nats.js.errors.APIError
        std::cerr << "JetStream error " << e.js_code() << ": " << e.what() << "\n";
        return 1;
    } catch (const naq::Timeout& e) {  // Python: asyncio.TimeoutError / nats TimeoutError
        std::cerr << "timed out: " << e.what() << "\n";
        return 4;
    } catch (const naq::ConnectionError& e) {  // Python: NoServersError / NaqConnectionError
        std::cerr << "cannot reach NATS: " << e.what() << "\n";
        return 5;
    }
}

}  // namespace naq_migration
