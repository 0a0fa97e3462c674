// Credentials never printed: URLs with user info, secret settings, auth settings that conflict.
#include <catch2/catch.hpp>

#include "config/redact.hpp"
#include "naq/config.hpp"
#include "naq/errors.hpp"

using namespace naq;
using Catch::Matchers::Contains;

TEST_CASE("redact: the user info of every URL in a text is hidden", "[config][security]") {
    using detail::redact_url_credentials;
    CHECK(redact_url_credentials("nats://alice:S3cret@host:4222") == "nats://alice:***@host:4222");
    CHECK(redact_url_credentials("nats://T0ken@host:4222") == "nats://***@host:4222");
    CHECK(redact_url_credentials("alice:S3cret@host") == "alice:***@host");  // no scheme
    CHECK(redact_url_credentials("connect to NATS at nats://a:p1@h1:4222,tls://b:p2@h2:4222: refused") ==
          "connect to NATS at nats://a:***@h1:4222,tls://b:***@h2:4222: refused");
    CHECK(redact_url_credentials("got \"nats://u:p@h\"") == "got \"nats://u:***@h\"");
    CHECK(redact_url_credentials("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222");
    CHECK(redact_url_credentials("@ alone, and a trailing @") == "@ alone, and a trailing @");
    CHECK(redact_url_credentials("") == "");
}

TEST_CASE("redact: config show and config errors never echo a password in a URL", "[config][security]") {
    Config config;
    config.set("nats.servers", "nats://alice:S3cret@127.0.0.1:4222", "flag:--url");
    for (const auto& entry : describe(config)) CHECK(entry.value.find("S3cret") == std::string::npos);
    std::string error;
    try {
        config.set("nats.servers", "alice:S3cret@127.0.0.1", "env:NAQ_NATS_URL");  // no scheme: refused
    } catch (const ConfigError& e) {
        error = e.what();
    }
    CHECK_THAT(error, Contains("nats.servers") && Contains("alice:***@127.0.0.1"));
    CHECK(error.find("S3cret") == std::string::npos);
}

TEST_CASE("redact: two ways to authenticate at once are refused", "[config][security]") {
    Config config;
    config.nats.user = "alice";
    config.nats.password = "pw-S3cret";
    config.nats.token = "tok-S3cret";
    CHECK_THROWS_WITH(config.validate(), Contains("give one way to authenticate") && !Contains("S3cret"));
    config.nats.token.clear();
    config.nats.creds_file = "/etc/naq/user.creds";
    CHECK_THROWS_WITH(config.validate(), Contains("give one way to authenticate"));
    config.nats.user.clear();
    config.nats.password.clear();
    CHECK_NOTHROW(config.validate());
}
