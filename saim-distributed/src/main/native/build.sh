#!/usr/bin/env bash
# Builds the two native libraries into OUT (the Maven build passes target/classes/native/linux-x86_64):
#   libsaim_gloo.so      the collectives, linked against Debian's libgloo.so (package libgloo-dev)
#   libsaim_gloo_jni.so  the JNI loader, which opens the former with RTLD_LOCAL | RTLD_DEEPBIND
# Usage: build.sh SRC_DIR OUT_DIR JAVA_HOME. Without g++ it says so and builds nothing (the tests
# that need the libraries are then skipped).
set -euo pipefail
src=$1 out=$2 jhome=$3
if ! command -v g++ >/dev/null; then
  echo "saim-distributed: g++ not found, the Gloo library is not built (apt-get install g++ libgloo-dev)"
  exit 0
fi
mkdir -p "$out"
# every symbol hidden but the C interface of saim_gloo.h (SG_API) and the JNI functions (JNIEXPORT)
flags=(-std=c++17 -O2 -fPIC -shared -fvisibility=hidden -fvisibility-inlines-hidden -Wall)
g++ "${flags[@]}" -I/usr/include/hiredis -Wl,-soname,libsaim_gloo.so \
  -o "$out/libsaim_gloo.so.tmp" "$src/saim_gloo.cc" -lgloo -lpthread
g++ "${flags[@]}" -I"$jhome/include" -I"$jhome/include/linux" \
  -o "$out/libsaim_gloo_jni.so.tmp" "$src/saim_gloo_jni.cc" -ldl
mv "$out/libsaim_gloo.so.tmp" "$out/libsaim_gloo.so"
mv "$out/libsaim_gloo_jni.so.tmp" "$out/libsaim_gloo_jni.so"
echo "saim-distributed: built $out/libsaim_gloo.so and $out/libsaim_gloo_jni.so"
