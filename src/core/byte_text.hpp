// Bytes that must travel inside a JSON string: a UTF-8 check and base64 (RFC 4648, padded).
// Private to naq (core and the modules above it).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace naq::detail {

/// True when `bytes` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

std::string base64_encode(std::string_view bytes);
/// nullopt when `text` is not padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace naq::detail
