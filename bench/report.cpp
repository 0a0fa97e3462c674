// Printing the result table and its JSON form.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "bench_common.hpp"
#include "naq/json.hpp"

namespace naq::bench {

namespace {

std::string format_value(const Row& r) {
    if (!r.value) return r.note.empty() ? "n/a" : r.note;
    char buf[64];
    double v = *r.value;
    if (r.unit == "ms" || r.unit == "MB" || r.unit == "kB" || r.unit == "µs/job") {
        std::snprintf(buf, sizeof(buf), v < 10 ? "%.2f %s" : "%.1f %s", v, r.unit.c_str());
        return buf;
    }
    return grouped(v) + " " + r.unit;
}

std::string format_ratio(const Row& r) {
    if (!r.ratio) return "";
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.2f×", *r.ratio);
    return buf;
}

void print_section(const char* title, const std::vector<Row>& rows, bool with_ratio) {
    if (rows.empty()) return;
    std::printf("\n%s\n", title);
    for (const auto& r : rows) {
        std::string line = "  " + pad(r.label, 44) + pad(format_value(r), 18);
        if (with_ratio) {
            line += pad(format_ratio(r), 8) + pad(r.versus, 26) + pad(r.target, 9);
            if (r.met) line += *r.met ? "met" : "MISSED";
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        std::printf("%s\n", line.c_str());
    }
}

Json row_json(const Row& r, const char* section) {
    Json j = {{"section", section}, {"key", r.key}, {"label", r.label}, {"unit", r.unit}};
    j["value"] = r.value ? Json(*r.value) : Json(nullptr);
    if (!r.versus.empty()) j["versus"] = r.versus;
    if (r.ratio) j["ratio"] = *r.ratio;
    if (!r.target.empty()) j["target"] = r.target;
    if (r.met) j["met"] = *r.met;
    if (!r.note.empty()) j["note"] = r.note;
    return j;
}

}  // namespace

void print_table(const Report& report) {
    std::printf("%s\n", report.header.c_str());
    print_section("raw cnats JetStream (the baseline: same server, same run)", report.raw, false);
    std::printf("\n  %s%s%s%s%s%s\n", pad("naq", 44).c_str(), pad("value", 18).c_str(), pad("ratio", 8).c_str(),
                pad("of", 26).c_str(), pad("target", 9).c_str(), "");
    print_section("naq", report.naq, true);
    print_section("naq vs BullMQ (bench/peers, same machine, same run)", report.peers, true);
    std::fflush(stdout);
}

void write_json(const Report& report, const std::string& path) {
    Json rows = Json::array();
    for (const auto& r : report.raw) rows.push_back(row_json(r, "raw"));
    for (const auto& r : report.naq) rows.push_back(row_json(r, "naq"));
    for (const auto& r : report.peers) rows.push_back(row_json(r, "peers"));
    std::ofstream out(path);
    out << Json{{"header", report.header}, {"rows", rows}}.dump(2) << "\n";
}

}  // namespace naq::bench
