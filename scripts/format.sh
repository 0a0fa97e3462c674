#!/usr/bin/env bash
# Formats naq's C++ sources with clang-format 14 and the repository's .clang-format.
#   scripts/format.sh            rewrite the files in place
#   scripts/format.sh --check    change nothing; exit 1 naming each file that is not formatted
# The sources: src/ include/ tests/ bench/ examples/ (*.cpp, *.hpp), as git tracks them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
formatter=$(command -v clang-format-14 || command -v clang-format || true)
[ -n "$formatter" ] || { echo "format.sh: clang-format-14 is not installed (scripts/install-deps.sh installs it)" >&2; exit 2; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files -- 'src/*.cpp' 'src/*.hpp' 'include/*.hpp' 'tests/*.cpp' 'tests/*.hpp' \
                                       'bench/*.cpp' 'bench/*.hpp' 'examples/*.cpp' 'examples/*.hpp')
else  # an unpacked source archive
  mapfile -t files < <(find src include tests bench examples -name node_modules -prune -o \
                            \( -name '*.cpp' -o -name '*.hpp' \) -print | sort)
fi
if [ "${1:-}" = "--check" ]; then
  bad=()
  for f in "${files[@]}"; do
    "$formatter" --style=file --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if [ ${#bad[@]} -gt 0 ]; then
    echo "not clang-formatted (run scripts/format.sh): ${bad[*]}"
    exit 1
  fi
  echo "ok: ${#files[@]} files clang-formatted"
else
  "$formatter" --style=file -i "${files[@]}"
fi
