// One table per enum gives both directions of its wire / config spelling, and one error text
// for an unknown name ("unknown job state 'x' (queued, waiting, … or dependency_failed)").
// Private to libnaq.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace naq::detail {

template <class Enum, std::size_t N>
class EnumNames {
public:
    /// `what` names the enum in errors ("job state").
    constexpr EnumNames(const char* what, std::array<std::pair<Enum, const char*>, N> names)
        : what_(what), names_(names) {}

    /// The spelling of `value`; "unknown" for a value outside the table (a cast integer).
    const char* name(Enum value) const {
        for (const auto& [v, n] : names_) {
            if (v == value) return n;
        }
        return "unknown";
    }

    std::optional<Enum> find(std::string_view name) const {
        for (const auto& [v, n] : names_) {
            if (name == n) return v;
        }
        return std::nullopt;
    }

    /// The value spelled `name`; throws Error("unknown <what> '<name>' (a, b or c)").
    template <class Error>
    Enum parse(std::string_view name) const {
        if (auto v = find(name)) return *v;
        throw Error("unknown " + std::string(what_) + " '" + std::string(name) + "' (" + spellings() + ")");
    }

    /// "a, b or c".
    std::string spellings() const {
        std::string out;
        for (std::size_t i = 0; i < N; ++i) {
            if (i > 0) out += i + 1 == N ? " or " : ", ";
            out += names_[i].second;
        }
        return out;
    }

    const std::array<std::pair<Enum, const char*>, N>& entries() const { return names_; }

private:
    const char* what_;
    std::array<std::pair<Enum, const char*>, N> names_;
};

}  // namespace naq::detail
