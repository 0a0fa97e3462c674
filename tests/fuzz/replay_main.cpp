// Replays fuzz inputs through the targets of tests/fuzz in the ordinary build:
//   naq_fuzz_replay TARGET DIR...   runs TARGET on every file under each DIR (missing DIRs are
//                                   empty); exit 0 when every input passes.
// An input fails by aborting (a sanitizer or fuzz_check) or by throwing anything but naq::Error.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "fuzz/fuzz_target.hpp"
#include "naq/errors.hpp"

namespace naq::fuzz {

namespace {
std::map<std::string, Target>& targets() {
    static std::map<std::string, Target> table;
    return table;
}
}  // namespace

bool register_target(const char* name, Target target) {
    targets()[name] = target;
    return true;
}

}  // namespace naq::fuzz

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    auto& table = naq::fuzz::targets();
    if (argc < 2 || table.count(argv[1]) == 0) {
        std::cerr << "usage: naq_fuzz_replay TARGET DIR...; targets:";
        for (const auto& [name, target] : table) std::cerr << " " << name;
        std::cerr << "\n";
        return 2;
    }
    const auto target = table.at(argv[1]);
    std::size_t inputs = 0;
    for (int i = 2; i < argc; ++i) {
        if (!fs::is_directory(argv[i])) continue;
        std::vector<fs::path> files;
        for (const auto& entry : fs::recursive_directory_iterator(argv[i])) {
            if (entry.is_regular_file()) files.push_back(entry.path());
        }
        std::sort(files.begin(), files.end());
        for (const auto& path : files) {
            std::ifstream in(path, std::ios::binary);
            std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            try {
                target(reinterpret_cast<const uint8_t*>(data.data()), data.size());
            } catch (const std::exception& e) {
                std::cerr << path.string() << ": " << argv[1] << " threw " << e.what() << "\n";
                return 1;
            }
            ++inputs;
        }
    }
    std::cout << argv[1] << ": " << inputs << " inputs replayed\n";
    return inputs > 0 ? 0 : 1;  // a target without a corpus is a target nobody checks
}
