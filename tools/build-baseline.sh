#!/bin/sh
# build-baseline.sh REV DIR: release-builds commit REV's librtmp.so.1 (from `git archive`, so the
# work tree is untouched) and prints the path of the library, DIR/<sha>/lib/librtmp.so.1. Kept
# per commit: a second call for the same commit only prints the path. Used by
# `make bench-baseline` to compare the current build with an earlier one in the same run.
set -e
[ $# -eq 2 ] || { echo "usage: $0 REV DIR" >&2; exit 2; }
top=$(git rev-parse --show-toplevel)
sha=$(git -C "$top" rev-parse --verify "$1^{commit}")
mkdir -p "$2"
dir=$(cd "$2" && pwd)/$sha
lib=$dir/lib/librtmp.so.1
if [ ! -f "$lib" ]; then
    # The sources are built outside the project (and removed) so that no second copy of the
    # code sits in the work tree for tools that scan it.
    rm -rf "$dir"
    src=$(mktemp -d)
    trap 'rm -rf "$src"' EXIT
    git -C "$top" archive "$sha" | tar -x -C "$src"
    echo "build-baseline: building $sha (release)" >&2
    make -C "$src" lib >&2
    mkdir -p "$dir/lib"
    cp "$src/build/lib/librtmp.so.1" "$lib"
fi
echo "$lib"
