#!/usr/bin/env bash
# bench.sh - run the anchor benchmark (anchor-bench.sh) against the built valkey-node and Debian's
# redis-server side by side (what `make bench` does), and keep the output.
#
# Usage: scripts/bench.sh [extra anchor-bench.sh options...]
#
# Both servers are started by anchor-bench.sh with the same valkey-server command line
# (`node=redis:<bin>` and `redis7=redis:redis-server`), on loopback, in the modes and cases asked for.
# Certificates come from the benchmark's own gen-certs.sh (openssl), made once in $BENCH_DIR/certs.
#
# Environment (all optional):
#   BIN         valkey-node binary                          [bin/valkey-node]
#   REDIS       the redis-server to compare with            [redis-server]
#   ANCHOR      path of anchor-bench.sh                     [../shared/bench/anchor-bench.sh]
#   GENCERTS    path of gen-certs.sh                        [dir of ANCHOR/gen-certs.sh]
#   RUNS        runs per cell (-r)                          [3]
#   MODES       plain,tls,mtls (-m)                         [plain,tls,mtls]
#   CASES       p1,p16,churn (-T)                           [p1,p16,churn]
#   BENCH_DIR   where certificates, scratch and results go  [bin/bench]
# The table is printed and also saved as $BENCH_DIR/result-<UTC time>.txt (raw runs as .csv beside it).
set -euo pipefail

bin=${BIN:-bin/valkey-node}
redis=${REDIS:-redis-server}
anchor=${ANCHOR:-../shared/bench/anchor-bench.sh}
gencerts=${GENCERTS:-$(dirname "$anchor")/gen-certs.sh}
runs=${RUNS:-3}
modes=${MODES:-plain,tls,mtls}
cases=${CASES:-p1,p16,churn}
dir=${BENCH_DIR:-bin/bench}

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$bin" ] || die "$bin is not built (run: make build)"
[ -f "$anchor" ] || die "anchor-bench.sh not found at $anchor (set ANCHOR=...)"
command -v "$redis" > /dev/null || die "$redis not found: install the Debian package redis-server"
command -v redis-benchmark > /dev/null || die "redis-benchmark not found: install the Debian package redis-tools"

mkdir -p "$dir"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
if [[ ,$modes, == *tls* ]] && [ ! -f "$dir/certs/client.key" ]; then
  [ -f "$gencerts" ] || die "gen-certs.sh not found at $gencerts (set GENCERTS=...)"
  bash "$gencerts" "$dir/certs" > /dev/null
fi
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=$dir/result-$stamp.txt
echo "bench: valkey-node $("$bin" --version) vs $("$redis" --version | head -1)" | tee "$out"
bash "$anchor" -d "$dir/certs" -r "$runs" -m "$modes" -T "$cases" -o "$dir/result-$stamp.csv" \
  -w "$dir/scratch-$stamp" "$@" "node=redis:$bin" "redis7=redis:$redis" | tee -a "$out"
echo "bench: saved $out"
