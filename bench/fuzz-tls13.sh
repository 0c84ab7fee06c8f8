#!/usr/bin/env bash
# Fuzzes the native TLS front's own TLS 1.3 record layer (native/tls-front/src/tls13_record.cc) with
# libFuzzer, AddressSanitizer and UBSan, against the system's OpenSSL 3 (the same major version as
# Node's). Needs Debian's clang-14, libclang-rt-14-dev and libssl-dev. Not part of `npm test`.
#   bench/fuzz-tls13.sh [SECONDS=120]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-120}
out=$(mktemp -d /tmp/ms-fuzz-tls13-XXXXXX)
clang++-14 -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  native/tls-front/fuzz/tls13_record_fuzz.cc native/tls-front/src/tls13_record.cc -lcrypto -o "$out/fuzz"
mkdir -p "$out/corpus"
"$out/fuzz" -max_total_time="$secs" -max_len=40000 -print_final_stats=1 -artifact_prefix="$out/" "$out/corpus" 2>&1 | tail -n 25
echo "binary and corpus: $out"
