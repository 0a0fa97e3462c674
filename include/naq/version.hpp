// naq's version, the same as the CMake project version (naqConfigVersion.cmake, naq.pc) and
// what `naq --version` prints and worker status records carry.
#pragma once

#include <string_view>

namespace naq {
/// "major.minor.patch" of the library this code was compiled against.
inline constexpr std::string_view kVersion = "0.1.0";
}  // namespace naq
