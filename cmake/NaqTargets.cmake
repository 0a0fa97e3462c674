# Per-target flags for naq's own code: warnings (optionally as errors) and sanitizers.
# Nothing is set globally, so dependencies' headers are not held to our warning bar.

function(naq_configure_target target)
  # Designated initializers (EnqueueOptions{.max_attempts = 3}) are the house style; GCC 12
  # wrongly reports the members they leave at their defaults as missing.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
  # GCC 12 at -O3 (Release) reports false -Wrestrict errors inside std::string's _M_replace for
  # plain string assignments and "lit" + str (GCC bug 105329), and the same false positive as
  # -Warray-bounds / -Wstringop-overflow once precompiled headers are on; Debian 12 ships GCC 12.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict -Wno-array-bounds -Wno-stringop-overflow)
  endif()
  if(NAQ_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(NAQ_PRECOMPILE_HEADERS)
    # nlohmann/json and spdlog are most of the compile time of a translation unit on 2 cores.
    target_precompile_headers(${target} PRIVATE <nlohmann/json.hpp> <spdlog/spdlog.h>
                              <chrono> <functional> <map> <memory> <optional> <string> <vector>)
  endif()
  if(NAQ_SANITIZE)
    # GCC's flow analysis under ASan reports false "maybe uninitialized" / overflow warnings in
    # libstdc++ headers (std::regex, std::function); they are not ours to fix.
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined
                                             -Wno-maybe-uninitialized -Wno-stringop-overflow)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
