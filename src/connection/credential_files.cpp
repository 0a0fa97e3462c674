// Checking and reading the connection's local files (see credential_files.hpp).
#include "credential_files.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "naq/errors.hpp"
#include "nkeys.hpp"

namespace naq::detail {

void check_local_file(const std::string& setting, const std::string& path, bool secret) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        throw ConfigError(setting + ": " + path + ": cannot read (" + std::strerror(errno) + ")");
    }
    if (!S_ISREG(st.st_mode)) throw ConfigError(setting + ": " + path + ": cannot read (not a regular file)");
    if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
        std::fclose(f);
    } else {
        throw ConfigError(setting + ": " + path + ": cannot read (" + std::strerror(errno) + ")");
    }
    if (secret && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        static std::mutex mutex;
        static std::set<std::string> warned;
        std::lock_guard lock(mutex);
        if (warned.insert(path).second) {
            char mode[8];
            std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
            spdlog::warn("{}: {} may be read by other users (mode {}): chmod 600 it", setting, path, mode);
        }
    }
}

std::string read_secret_file(const std::string& setting, const std::string& path) {
    check_local_file(setting, path, true);
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::string secret = text.str();
    while (!secret.empty() && std::isspace(static_cast<unsigned char>(secret.back()))) secret.pop_back();
    if (secret.empty()) throw ConfigError(setting + ": " + path + ": the file is empty");
    return secret;
}

std::string nkey_public_key(const std::string& setting, const std::string& path) {
    const std::string seed = nkeys::find_seed(read_secret_file(setting, path));
    if (seed.empty()) throw ConfigError(setting + ": " + path + ": no nkey seed in it (a 58-letter word like SU…)");
    std::string public_key;
    try {
        public_key = nkeys::from_seed(seed).public_key;
    } catch (const std::exception& e) {
        throw ConfigError(setting + ": " + path + ": " + e.what());
    }
    if (seed[1] != 'U') {
        throw ConfigError(setting + ": " + path + ": a user's seed starts with SU; this one is S" + seed[1] +
                          "… (an operator's or account's key signs users, it does not log in)");
    }
    return public_key;
}

}  // namespace naq::detail
