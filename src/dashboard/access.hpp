// Who may use the dashboard: the token (as a bearer header, or typed once into the sign-in page
// for an HttpOnly session cookie), the CSRF token every change from a page must carry, and
// read-only mode. Private to src/dashboard.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace naq::dashboard {

class Access {
public:
    Access(std::string token, bool read_only);

    enum class Caller {
        nobody,   ///< must sign in (401 / the sign-in page)
        browser,  ///< a session cookie, or no token is needed: changes need the CSRF token
        script,   ///< "Authorization: Bearer <token>": no cookie rides along, so no CSRF risk
    };
    /// From the request's Authorization and Cookie headers.
    Caller caller(const std::string& authorization, const std::string& cookie) const;

    bool needs_sign_in() const { return !token_.empty(); }
    bool read_only() const { return read_only_; }
    const std::string& csrf() const { return csrf_; }
    bool csrf_matches(const std::string& sent) const;

    /// A new session for a correct token: the Set-Cookie header value. nullopt when wrong.
    std::optional<std::string> sign_in(const std::string& token);

private:
    static constexpr int64_t kSessionMs = 12 * 3600 * 1000;
    static constexpr std::size_t kMaxSessions = 10'000;

    std::string token_;
    bool read_only_;
    std::string csrf_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, int64_t> sessions_;  // id -> expiry (Unix ms)
};

}  // namespace naq::dashboard
