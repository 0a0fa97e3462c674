// The process-wide connection pool: one cnats connection per distinct server list + credentials,
// opened on first use and closed at exit. The only code that creates or destroys cnats
// connections and JetStream contexts.
#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <vector>

#include "config/redact.hpp"
#include "connection_state.hpp"
#include "credential_files.hpp"
#include "naq/errors.hpp"
#include "naq/jetstream.hpp"
#include "nats_check.hpp"

namespace naq {

namespace detail {

CallbackContext& new_callback_context(std::string description) {
    // Deliberately never freed (still reachable, so not a leak): see CallbackContext.
    static std::mutex mutex;
    static auto* contexts = new std::deque<CallbackContext>();
    std::lock_guard lock(mutex);
    auto& ctx = contexts->emplace_back();
    ctx.description = std::move(description);
    return ctx;
}

ConnectionState::~ConnectionState() {
    for (auto& [name, kv] : buckets) kvStore_Destroy(kv);
    if (js != nullptr) jsCtx_Destroy(js);
    if (nc != nullptr) {
        // Flush what is buffered (acks, async publishes) before closing.
        natsConnection_FlushTimeout(nc, 2000);
        natsConnection_Close(nc);
        natsConnection_Destroy(nc);
    }
}

}  // namespace detail

namespace {

using detail::CallbackContext;
using detail::check;
using detail::ConnectionState;

struct OptionsDeleter {
    void operator()(natsOptions* o) const noexcept { natsOptions_Destroy(o); }
};
using OptionsPtr = std::unique_ptr<natsOptions, OptionsDeleter>;

// Set when the pool is torn down at exit: cnats may still run callbacks on its threads while
// statics (spdlog's registry among them) are being destroyed, so they stop logging.
std::atomic<bool> g_exiting{false};

// Callbacks run on cnats' threads; they only log and count.
void on_disconnected(natsConnection* nc, void* closure) {
    if (g_exiting.load() || natsConnection_IsClosed(nc)) return;  // our own close, not a lost connection
    auto* ctx = static_cast<CallbackContext*>(closure);
    spdlog::warn("nats: disconnected from {}", ctx->description);
}

void on_reconnected(natsConnection* nc, void* closure) {
    static_cast<CallbackContext*>(closure)->reconnects.fetch_add(1);
    if (g_exiting.load()) return;
    char url[256] = {0};
    natsConnection_GetConnectedUrl(nc, url, sizeof(url));
    spdlog::info("nats: reconnected to {}", detail::redact_url_credentials(url));
}

void on_closed(natsConnection*, void* closure) {
    if (g_exiting.load()) return;
    spdlog::debug("nats: connection to {} closed", static_cast<CallbackContext*>(closure)->description);
}

void on_async_error(natsConnection* nc, natsSubscription* sub, natsStatus err, void*) {
    if (g_exiting.load()) return;
    if (err == NATS_NOT_PERMITTED) {
        // The server's text names the subject; cnats' status text ("Not Permitted") does not.
        const char* server_text = nullptr;
        natsConnection_GetLastError(nc, &server_text);
        std::string text = server_text != nullptr && *server_text != '\0' ? server_text : "Not Permitted";
        detail::note_permission_violation(text);
        spdlog::error("nats: the server refused: {}", text);
        return;
    }
    const char* subject = sub != nullptr ? natsSubscription_GetSubject(sub) : nullptr;
    spdlog::error("nats: async error on {}: {}", subject != nullptr ? subject : "connection", natsStatus_GetText(err));
}

void on_publish_failed(jsCtx*, jsPubAckErr* pae, void* closure) {
    static_cast<CallbackContext*>(closure)->async_failures.fetch_add(1);
    if (g_exiting.load()) return;
    const char* subject = pae->Msg != nullptr ? natsMsg_GetSubject(pae->Msg) : "?";
    spdlog::error("nats: async publish to {} failed: {}{}", subject, natsStatus_GetText(pae->Err),
                  pae->ErrText != nullptr ? std::string(" (") + pae->ErrText + ")" : "");
}

std::string pool_key(const NatsSettings& n) {
    std::string key;
    for (const auto& s : n.servers) key += s + ",";
    for (const auto* part : {&n.user, &n.password, &n.password_file, &n.token, &n.token_file, &n.creds_file,
                             &n.nkey_seed_file, &n.tls_ca, &n.tls_cert, &n.tls_key, &n.connection_name}) {
        key += "|" + *part;
    }
    return key;
}

/// A local file cnats could not use: a ConfigError naming the setting (exit 2).
void local_file_check(natsStatus status, const std::string& setting, const std::string& path,
                      const std::string& expected) {
    if (status == NATS_OK) return;
    natsStatus last = NATS_OK;
    const char* detail = nats_GetLastError(&last);
    throw ConfigError(setting + ": " + path + ": not usable as " + expected + " (" +
                      (detail != nullptr && *detail != '\0' ? detail : natsStatus_GetText(status)) + ")");
}

// A failed connect, said in the user's terms where cnats words it as a protocol detail (TLS
// asked of a plain server is "Secure Connection not available"; a server that wants a client
// certificate just hangs up: "Expected 'PONG', got ''"). cnats' own text follows in brackets.
[[noreturn]] void throw_connect_error(natsStatus status, const std::string& what, const NatsSettings& n) {
    bool wants_tls = !n.tls_ca.empty() || !n.tls_cert.empty();
    for (const auto& server : n.servers) wants_tls = wants_tls || server.rfind("tls://", 0) == 0;
    std::string hint;
    if (status == NATS_SECURE_CONNECTION_WANTED) {
        hint =
            "TLS was asked for (a tls:// URL or nats.tls_ca) but the server does not offer it: use nats:// or "
            "enable TLS on the server";
    } else if (status == NATS_PROTOCOL_ERROR && wants_tls) {
        hint = "the server closed the connection during the TLS handshake";
        if (n.tls_cert.empty()) hint += "; it may require a client certificate: set nats.tls_cert and nats.tls_key";
    } else if (status == NATS_SSL_ERROR && n.tls_ca.empty()) {
        hint = "the server's certificate could not be verified; set nats.tls_ca to the CA that signed it";
    }
    if (hint.empty()) detail::throw_nats_error(status, what);
    throw ConnectionError(what + ": " + hint + " [" + detail::cnats_error_text(status) + "]");
}

OptionsPtr make_options(const NatsSettings& n, CallbackContext* ctx) {
    natsOptions* raw = nullptr;
    check(natsOptions_Create(&raw), "create connection options");
    OptionsPtr opts(raw);
    std::vector<const char*> urls;
    for (const auto& s : n.servers) urls.push_back(s.c_str());
    check(natsOptions_SetServers(raw, urls.data(), static_cast<int>(urls.size())), "nats.servers");
    check(natsOptions_SetName(raw, n.connection_name.c_str()), "nats.connection_name");
    check(natsOptions_SetTimeout(raw, n.connect_timeout.count()), "nats.connect_timeout");
    check(natsOptions_SetMaxReconnect(raw, n.max_reconnect_attempts), "nats.max_reconnect_attempts");
    check(natsOptions_SetReconnectWait(raw, n.reconnect_wait.count()), "nats.reconnect_wait");
    // Keep what is published while disconnected (acks, status writes): 8 MiB.
    check(natsOptions_SetReconnectBufSize(raw, 8 * 1024 * 1024), "reconnect buffer");
    check(natsOptions_SetMaxPendingMsgs(raw, 1 << 20), "max pending messages");
    // Local files first: a missing or unusable one is a configuration error (exit 2) naming the
    // setting, not a failure to reach the server.
    if (!n.user.empty()) {
        const std::string password =
            n.password_file.empty() ? n.password : detail::read_secret_file("nats.password_file", n.password_file);
        check(natsOptions_SetUserInfo(raw, n.user.c_str(), password.c_str()), "nats.user");
    }
    if (!n.token.empty() || !n.token_file.empty()) {
        const std::string token =
            n.token_file.empty() ? n.token : detail::read_secret_file("nats.token_file", n.token_file);
        check(natsOptions_SetToken(raw, token.c_str()), "nats.token");
    }
    if (!n.creds_file.empty()) {
        detail::check_local_file("nats.creds_file", n.creds_file, true);
        local_file_check(natsOptions_SetUserCredentialsFromFiles(raw, n.creds_file.c_str(), nullptr), "nats.creds_file",
                         n.creds_file, "a NATS credentials file (user JWT and nkey seed)");
    }
    if (!n.nkey_seed_file.empty()) {
        // cnats wants the public key the server lists next to the seed file; it comes from the seed.
        const std::string public_key = detail::nkey_public_key("nats.nkey_seed_file", n.nkey_seed_file);
        local_file_check(natsOptions_SetNKeyFromSeed(raw, public_key.c_str(), n.nkey_seed_file.c_str()),
                         "nats.nkey_seed_file", n.nkey_seed_file, "an nkey seed file");
    }
    if (!n.tls_ca.empty() || !n.tls_cert.empty()) {
        check(natsOptions_SetSecure(raw, true), "nats TLS");
        if (!n.tls_ca.empty()) {
            detail::check_local_file("nats.tls_ca", n.tls_ca, false);
            local_file_check(natsOptions_LoadCATrustedCertificates(raw, n.tls_ca.c_str()), "nats.tls_ca", n.tls_ca,
                             "PEM certificates");
        }
        if (!n.tls_cert.empty()) {
            detail::check_local_file("nats.tls_cert", n.tls_cert, false);
            detail::check_local_file("nats.tls_key", n.tls_key, true);
            local_file_check(natsOptions_LoadCertificatesChain(raw, n.tls_cert.c_str(), n.tls_key.c_str()),
                             "nats.tls_cert", n.tls_cert, "a PEM certificate matching the PEM key of nats.tls_key");
        }
    }
    check(natsOptions_SetDisconnectedCB(raw, on_disconnected, ctx), "disconnected callback");
    check(natsOptions_SetReconnectedCB(raw, on_reconnected, ctx), "reconnected callback");
    check(natsOptions_SetClosedCB(raw, on_closed, ctx), "closed callback");
    check(natsOptions_SetErrorHandler(raw, on_async_error, nullptr), "error callback");
    return opts;
}

// A connect failure that says what is wrong (credentials, TLS), as opposed to "no server" or a
// timeout, which may only be the last of several servers tried.
bool telling(natsStatus s) {
    return s == NATS_CONNECTION_AUTH_FAILED || s == NATS_NOT_PERMITTED || s == NATS_SSL_ERROR ||
           s == NATS_SECURE_CONNECTION_WANTED || s == NATS_SECURE_CONNECTION_REQUIRED || s == NATS_PROTOCOL_ERROR;
}

// With several servers cnats reports the last failure it saw: a server that refused the
// credentials, then one that is down, reads as a timeout. Tried alone, each server says what
// it thinks; the first telling answer (and which server gave it) replaces the vague one. Only
// on the failure path: a healthy connect never pays for it.
natsStatus telling_failure(natsStatus status, const NatsSettings& n, std::string& server_said) {
    if (n.servers.size() < 2 || telling(status)) return status;
    static CallbackContext& probe_context = detail::new_callback_context("(probe)");
    for (const auto& server : n.servers) {
        NatsSettings one = n;
        one.servers = {server};
        one.max_reconnect_attempts = 0;
        OptionsPtr opts = make_options(one, &probe_context);
        natsConnection* nc = nullptr;
        natsStatus s = natsConnection_Connect(&nc, opts.get());
        if (nc != nullptr) {
            natsConnection_Close(nc);
            natsConnection_Destroy(nc);
        }
        if (telling(s)) {
            server_said = detail::redact_url_credentials(server);
            return s;
        }
    }
    return status;
}

std::shared_ptr<ConnectionState> open(const Config& config) {
    const auto& n = config.nats;
    auto state = std::make_shared<ConnectionState>();
    state->request_timeout_ms = n.request_timeout.count();
    std::string description;
    for (const auto& s : n.servers) description += (description.empty() ? "" : ",") + s;
    description = detail::redact_url_credentials(description);  // it goes into logs and errors
    state->callbacks = &detail::new_callback_context(description);
    OptionsPtr opts = make_options(n, state->callbacks);
    natsStatus s = natsConnection_Connect(&state->nc, opts.get());
    if (s != NATS_OK) {
        state->nc = nullptr;
        std::string server_said;
        s = telling_failure(s, n, server_said);
        throw_connect_error(
            s, "connect to NATS at " + description + (server_said.empty() ? "" : " (" + server_said + ")"), n);
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = n.request_timeout.count();
    jo.PublishAsync.MaxPending = 65536;
    jo.PublishAsync.ErrHandler = on_publish_failed;
    jo.PublishAsync.ErrHandlerClosure = state->callbacks;
    check(natsConnection_JetStream(&state->js, state->nc, &jo), "create JetStream context");
    spdlog::debug("nats: connected to {}", description);
    return state;
}

class Pool {
public:
    // spdlog's registry is created first so that it is destroyed after the pool.
    Pool() { spdlog::default_logger(); }

    std::shared_ptr<ConnectionState> acquire(const Config& config) {
        std::string key = pool_key(config.nats);
        std::lock_guard lock(mutex_);
        auto it = connections_.find(key);
        if (it != connections_.end()) {
            // A connection cnats gave up on (reconnect attempts exhausted) is replaced.
            if (!natsConnection_IsClosed(it->second->nc)) return it->second;
            connections_.erase(it);
        }
        auto state = open(config);
        connections_.emplace(key, state);
        return state;
    }

    void close_all() {
        std::map<std::string, std::shared_ptr<ConnectionState>> doomed;
        {
            std::lock_guard lock(mutex_);
            doomed.swap(connections_);
        }
        // Handles still held elsewhere keep their connection alive until they are released.
    }

    std::size_t size() {
        std::lock_guard lock(mutex_);
        return connections_.size();
    }

    ~Pool() {
        g_exiting.store(true);
        close_all();
    }

private:
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<ConnectionState>> connections_;
};

Pool& pool() {
    static Pool instance;
    return instance;
}

}  // namespace

Connection connection(const Config& config) { return detail::ConnectionAccess::connection(pool().acquire(config)); }

JetStream jetstream(const Config& config) { return JetStream(connection(config)); }

void close_all_connections() { pool().close_all(); }

std::size_t pooled_connection_count() { return pool().size(); }

}  // namespace naq
