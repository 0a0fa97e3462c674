// Hiding credentials in URLs (see redact.hpp).
#include "config/redact.hpp"

namespace naq::detail {

std::string redact_url_credentials(std::string_view text) {
    // Whatever precedes an '@' back to a separator is user info: "alice:S3cret" in
    // nats://alice:S3cret@host, in alice:S3cret@host (no scheme) or a token in nats://tok@host.
    constexpr std::string_view kSeparators = "/ ,\t\r\n\"'=";
    std::string out;
    out.reserve(text.size());
    std::size_t done = 0;
    for (std::size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
        std::size_t start = at;
        while (start > done && kSeparators.find(text[start - 1]) == std::string_view::npos) --start;
        if (start == at) continue;  // nothing before it
        const std::string_view user_info = text.substr(start, at - start);
        const std::size_t colon = user_info.find(':');
        out.append(text.substr(done, start - done));
        out.append(colon == std::string_view::npos ? "***" : std::string(user_info.substr(0, colon)) + ":***");
        done = at;
    }
    out.append(text.substr(done));
    return out;
}

}  // namespace naq::detail
