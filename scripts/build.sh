#!/bin/sh
# Configures and builds mod-lain in the source tree.
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] || autoreconf -fi >/dev/null
[ -f Makefile ] || ./configure -q
make -j"$(nproc)" >/dev/null
echo "built $(pwd)/.libs/mod-lain.so"
