// The YAML config loader (naq.yaml), through a file as naq reads it.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "fuzz/fuzz_target.hpp"
#include "naq/config.hpp"
#include "naq/errors.hpp"

NAQ_FUZZ_TARGET(config) {
    static const std::string path = "/tmp/naq-fuzz-config-" + std::to_string(::getpid()) + ".yaml";
    if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(data, 1, size, f);
        std::fclose(f);
    } else {
        return 0;
    }
    try {
        naq::Config config = naq::Config::from_file(path);
        config.validate();
    } catch (const naq::Error&) {}
    std::remove(path.c_str());
    return 0;
}
