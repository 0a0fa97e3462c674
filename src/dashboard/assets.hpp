// The dashboard's static files (src/dashboard/assets/), embedded in the binary at build time by
// cmake/EmbedAssets.cmake: a dashboard needs no files beside it and nothing from the internet.
#pragma once

#include <string_view>
#include <vector>

namespace naq::dashboard {

struct Asset {
    std::string_view path;  ///< "/app.js"
    std::string_view bytes;
};

const std::vector<Asset>& embedded_assets();

}  // namespace naq::dashboard
