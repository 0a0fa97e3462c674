// One fuzz target per file: `NAQ_FUZZ_TARGET(name) { ... data, size ... }`.
// Built with NAQ_LIBFUZZER (scripts/fuzz.sh, clang) the body is LLVMFuzzerTestOneInput, one
// target per binary; in the ordinary build it registers itself with the replay program, which
// ctest runs over tests/fuzz/corpus/<name> and tests/fuzz/regressions/<name>.
//
// A target throws nothing but naq::Error for bad input: any other exception, a sanitizer
// report or a broken round trip (fuzz_check) is a defect.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace naq::fuzz {

using Target = int (*)(const uint8_t* data, size_t size);

/// Adds a target to the replay program's table; returns true (for a static initialiser).
bool register_target(const char* name, Target target);

inline std::string_view text_of(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// Aborts (a crash libFuzzer keeps, and a failure the replay reports) when `ok` is false.
inline void fuzz_check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz check failed: %s\n", what);
        std::abort();
    }
}

}  // namespace naq::fuzz

#ifdef NAQ_LIBFUZZER
#define NAQ_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
#else
#define NAQ_FUZZ_TARGET(name)                                       \
    static int naq_fuzz_##name(const uint8_t* data, size_t size);   \
    [[maybe_unused]] static const bool naq_fuzz_registered_##name = \
        naq::fuzz::register_target(#name, naq_fuzz_##name);         \
    static int naq_fuzz_##name(const uint8_t* data, size_t size)
#endif
