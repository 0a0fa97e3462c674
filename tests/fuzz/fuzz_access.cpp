// The dashboard's access rules: the Authorization and Cookie headers any client may send, and
// the token typed into the sign-in form. Input: "<authorization>\n<cookie>".
#include <string>

#include "dashboard/access.hpp"
#include "fuzz/fuzz_target.hpp"

NAQ_FUZZ_TARGET(access) {
    using naq::dashboard::Access;
    static Access open("", false);
    static Access guarded("correct-horse-battery-staple", false);
    const std::string_view text = naq::fuzz::text_of(data, size);
    const std::size_t cut = text.find('\n');
    const std::string authorization(text.substr(0, cut));
    const std::string cookie(cut == std::string_view::npos ? std::string_view() : text.substr(cut + 1));
    naq::fuzz::fuzz_check(open.caller(authorization, cookie) == Access::Caller::browser, "no token: every caller");
    const Access::Caller caller = guarded.caller(authorization, cookie);
    naq::fuzz::fuzz_check(caller != Access::Caller::script || authorization == "Bearer correct-horse-battery-staple",
                          "only the token makes a script caller");
    (void)guarded.csrf_matches(authorization);
    if (auto session = guarded.sign_in(authorization)) {
        naq::fuzz::fuzz_check(guarded.caller("", session->substr(0, session->find(';'))) == Access::Caller::browser,
                              "a new session signs in");
    }
    return 0;
}
