#include "dashboard/access.hpp"

#include <random>

#include "naq/job.hpp"

namespace naq::dashboard {

namespace {

constexpr std::string_view kCookie = "naq_session=";

std::string random_hex(std::size_t bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::random_device rd;
    std::string out;
    for (std::size_t i = 0; i < bytes; ++i) {
        const auto b = static_cast<unsigned>(rd()) & 0xffU;
        out += kHex[b >> 4];
        out += kHex[b & 0xfU];
    }
    return out;
}

// Compares in time that does not depend on where the first difference is (the length is not
// the secret).
bool same(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    unsigned diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

std::string session_of(const std::string& cookie) {
    for (std::size_t at = cookie.find(kCookie); at != std::string::npos; at = cookie.find(kCookie, at + 1)) {
        if (at != 0 && cookie[at - 1] != ' ' && cookie[at - 1] != ';') continue;
        const std::size_t start = at + kCookie.size();
        return cookie.substr(start, cookie.find(';', start) - start);
    }
    return {};
}

}  // namespace

Access::Access(std::string token, bool read_only)
    : token_(std::move(token)), read_only_(read_only), csrf_(random_hex(32)) {}

Access::Caller Access::caller(const std::string& authorization, const std::string& cookie) const {
    if (token_.empty()) return Caller::browser;
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization.rfind(kBearer, 0) == 0 && same(authorization.substr(kBearer.size()), token_)) {
        return Caller::script;
    }
    const std::string session = session_of(cookie);
    if (session.empty()) return Caller::nobody;
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(session);
    return it != sessions_.end() && it->second > now_ms() ? Caller::browser : Caller::nobody;
}

bool Access::csrf_matches(const std::string& sent) const { return same(sent, csrf_); }

std::optional<std::string> Access::sign_in(const std::string& token) {
    if (token_.empty() || !same(token, token_)) return std::nullopt;
    const std::string id = random_hex(32);
    const int64_t now = now_ms();
    {
        std::lock_guard lock(mutex_);
        for (auto it = sessions_.begin(); it != sessions_.end();) {
            it = it->second <= now ? sessions_.erase(it) : std::next(it);
        }
        if (sessions_.size() >= kMaxSessions) sessions_.erase(sessions_.begin());
        sessions_[id] = now + kSessionMs;
    }
    return std::string(kCookie) + id +
           "; HttpOnly; SameSite=Strict; Path=/; Max-Age=" + std::to_string(kSessionMs / 1000);
}

}  // namespace naq::dashboard
