#!/bin/sh
# Writes the linker version script: exactly librtmp 2.4's exported names are global (those we
# do not define yet are simply absent), everything else (Rust std, internals) is local.
# usage: gen_map.sh abi/symbols.txt > build/librtmp.map
set -e
echo "{"
echo "  global:"
grep -v '^#' "$1" | cut -f1 | grep . | sed 's/.*/    &;/'
echo "  local: *;"
echo "};"
