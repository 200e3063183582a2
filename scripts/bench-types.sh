#!/usr/bin/env bash
# bench-types.sh - redis-benchmark's data type tests over TLS with -P 16, against the built valkey-node and
# Debian's redis-server side by side (what `make bench-types` does; the Performance section of issue 4).
#
# Usage: scripts/bench-types.sh
#
# Both servers get the same command line as in anchor-bench.sh's tls mode:
#   BINARY --bind 127.0.0.1 --save "" --appendonly no --dir <scratch> --daemonize no
#          --port 0 --tls-port P --tls-cert-file server.crt --tls-key-file server.key
#          --tls-ca-cert-file ca.crt --tls-auth-clients no
# Per run each server is started once (in turns: node then redis in odd runs, redis then node in even runs)
# and every test is one redis-benchmark invocation, so the server's CPU time (utime+stime from
# /proc/<pid>/stat of every process in its session) is known per test. LRANGE_100 reads the list that the
# LPUSH test before it filled, so lpush runs right before lrange_100 (and lpop after both). With -r
# (RANDOM_KEYS) SADD, HSET and ZADD add a random member per request, so those sets grow as they would in
# use; MSET is redis-benchmark's 10-key MSET, counted as one request.
#
# Environment (all optional):
#   BIN         valkey-node binary                            [bin/valkey-node]
#   REDIS       the redis-server to compare with              [redis-server]
#   GENCERTS    path of gen-certs.sh                          [../shared/bench/gen-certs.sh]
#   RUNS        runs (medians are taken over them)            [3]
#   REQUESTS    requests per test (-n)                        [200000]
#   CLIENTS     parallel clients (-c)                         [50]
#   PIPELINE    pipeline depth (-P)                           [16]
#   RANDOM_KEYS keyspace for __rand_int__ (-r); 0 = off       [100000]
#   TESTS       tests, in the order they run                  [set,get,lpush,lrange_100,lpop,sadd,hset,zadd,mset]
#   PORT        first port; each server start uses the next   [16600]
#   TIMEOUT     seconds for one redis-benchmark invocation    [300]
#   BENCH_DIR   where certificates, scratch and results go    [bin/bench]
# Output: one progress line per invocation on stderr, then a table of medians per test: req/s and server
# CPU µs per request for both servers and the ratios node/redis (req/s: higher is better for node above
# 1.0; µs/req: node below 1.0 is better). The table is also saved as $BENCH_DIR/types-<UTC time>.txt, the
# single runs as .csv beside it.
set -uo pipefail

bin=${BIN:-bin/valkey-node}
redis=${REDIS:-redis-server}
gencerts=${GENCERTS:-../shared/bench/gen-certs.sh}
runs=${RUNS:-3}
requests=${REQUESTS:-200000}
clients=${CLIENTS:-50}
pipeline=${PIPELINE:-16}
randkeys=${RANDOM_KEYS:-100000}
tests=${TESTS:-set,get,lpush,lrange_100,lpop,sadd,hset,zadd,mset}
port=${PORT:-16600}
tmo=${TIMEOUT:-300}
dir=${BENCH_DIR:-bin/bench}

die() { echo "bench-types: $*" >&2; exit 1; }
log() { echo "# $*" >&2; }
[ -x "$bin" ] || die "$bin is not built (run: make build)"
command -v "$redis" > /dev/null || die "$redis not found: install the Debian package redis-server"
command -v redis-benchmark > /dev/null || die "redis-benchmark not found: install the Debian package redis-tools"
command -v redis-cli > /dev/null || die "redis-cli not found: install the Debian package redis-tools"
command -v timeout > /dev/null || die "timeout (coreutils) not found"

mkdir -p "$dir" && dir=$(cd "$dir" && pwd)
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
certs=$dir/certs
if [ ! -f "$certs/client.key" ]; then
  [ -f "$gencerts" ] || die "gen-certs.sh not found at $gencerts (set GENCERTS=...)"
  bash "$gencerts" "$certs" > /dev/null || die "gen-certs.sh failed"
fi
stamp=$(date -u +%Y%m%dT%H%M%SZ)
work=$dir/types-scratch-$stamp out=$dir/types-$stamp.txt raw=$dir/types-$stamp.csv
mkdir -p "$work"
echo "run,server,test,requests,rps,srv_ticks,srv_us_per_req" > "$raw"
hz=$(getconf CLK_TCK)
names=(node redis7) bins=("$bin" "$redis")
tls=(--tls --cacert "$certs/ca.crt")

# ---- servers (as anchor-bench.sh: own session, CPU of the whole session, TERM then KILL) ------------
srv_pid="" srv_port=""
ping_ok() { [ "$(timeout 5 redis-cli -h 127.0.0.1 -p "$srv_port" "${tls[@]}" PING 2>/dev/null)" = PONG ]; }
cpu_ticks() { # summed utime+stime of every process in the server's session
  [ -n "$srv_pid" ] || { echo 0; return; }
  local t=0 p s
  for p in $(ps -s "$srv_pid" -o pid= 2>/dev/null); do
    s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    s=${s##*) }; set -- $s; t=$((t + ${12} + ${13}))
  done
  echo "$t"
}
stop_server() {
  [ -n "$srv_pid" ] || return 0
  kill -TERM -- "-$srv_pid" 2>/dev/null
  local t; for t in $(seq 100); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$srv_pid" 2>/dev/null
  wait "$srv_pid" 2>/dev/null; srv_pid=""
}
bench_pid=""
stop_bench() { [ -z "$bench_pid" ] || { kill -TERM "$bench_pid" 2>/dev/null; wait "$bench_pid" 2>/dev/null; bench_pid=""; }; }
trap 'stop_bench; stop_server' EXIT
trap 'stop_bench; stop_server; exit 130' INT TERM
start_server() { # start_server IDX RUN -> sets srv_pid srv_port
  local i=$1 d=$work/run$2-${names[$1]}
  port=$((port + 1)) srv_port=$port
  mkdir -p "$d"
  local -a cmd=("${bins[$i]}" --bind 127.0.0.1 --save "" --appendonly no --dir "$d" --daemonize no
    --port 0 --tls-port "$srv_port" --tls-cert-file "$certs/server.crt" --tls-key-file "$certs/server.key"
    --tls-ca-cert-file "$certs/ca.crt" --tls-auth-clients no)
  printf '%q ' "${cmd[@]}" > "$d/command"
  setsid "${cmd[@]}" > "$d/server.log" 2>&1 < /dev/null &
  srv_pid=$!
  local t
  for t in $(seq 100); do
    ping_ok && return 0
    kill -0 "$srv_pid" 2>/dev/null || { tail -20 "$d/server.log" >&2; srv_pid=""; die "${names[$i]} exited"; }
    sleep 0.1
  done
  stop_server; tail -20 "$d/server.log" >&2; die "${names[$i]}: not ready after 10s"
}

# run_bench RUN IDX TEST: one redis-benchmark invocation, one row in $raw
run_bench() {
  local run=$1 name=${names[$2]} test=$3 o=$work/run$1-${names[$2]}-$3.csv c0 c1 rc rps
  local -a r=()
  [ "$randkeys" != 0 ] && r=(-r "$randkeys")
  c0=$(cpu_ticks)
  timeout "$tmo" redis-benchmark -h 127.0.0.1 -p "$srv_port" "${tls[@]}" -c "$clients" -P "$pipeline" \
    -n "$requests" "${r[@]}" -t "$test" --csv > "$o" 2> "$o.err" &
  bench_pid=$!   # in the background and waited for, so that INT/TERM run the trap at once
  wait "$bench_pid"; rc=$?; bench_pid=""
  c1=$(cpu_ticks)
  rps=$(awk -F, 'NR==2{gsub(/"/,""); print $2}' "$o")
  if [ $rc -ne 0 ] || [ -z "$rps" ]; then
    log "run $run $name $test FAILED rc=$rc: $(tail -c 300 "$o.err" | tr '\n' ' ')"
    return 0
  fi
  awk -v run="$run" -v s="$name" -v t="$test" -v n="$requests" -v rps="$rps" -v d=$((c1 - c0)) -v hz="$hz" \
    'BEGIN{printf "%s,%s,%s,%s,%s,%s,%.3f\n", run, s, t, n, rps, d, 1e6*d/hz/n}' | tee -a "$raw" |
    awk -F, '{printf "# run %s %-7s %-11s %12.0f req/s  srv %7.3f us/req\n", $1, $2, $3, $5, $7}' >&2
}

# ---- header, runs --------------------------------------------------------------------------------
{
  echo "bench-types $(date -u +%Y-%m-%dT%H:%M:%SZ): valkey-node $("$bin" --version) vs $("$redis" --version | head -1)"
  echo "cpu: $(lscpu 2>/dev/null | awk -F: '/^Model name/{gsub(/^ +/,"",$2);print $2}') x $(nproc) cores," \
    "$(openssl version 2>/dev/null | cut -d' ' -f1-2), load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "client: $(redis-benchmark --version | head -1), TLS, -c $clients -P $pipeline -n $requests" \
    "$([ "$randkeys" != 0 ] && echo "-r $randkeys"), runs $runs; scratch $work"
} | tee "$out"
IFS=, read -r -a test_list <<< "$tests"
for run in $(seq "$runs"); do
  order=(0 1); [ $((run % 2)) = 0 ] && order=(1 0)
  for i in "${order[@]}"; do
    start_server "$i" "$run"
    for t in "${test_list[@]}"; do run_bench "$run" "$i" "$t"; done
    stop_server
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"

# ---- table: medians over runs ----------------------------------------------------------------------
{
  echo
  printf '| %-10s | %12s | %12s | %7s | %11s | %11s | %7s |\n' test "node req/s" "redis req/s" ratio \
    "node us/req" "redis us/req" ratio
  echo "|------------|--------------|--------------|---------|-------------|-------------|---------|"
  awk -F, -v order="$tests" '
    function med(str,  a,n,i,j,t){n=split(str,a," "); if(n==0) return "";
      for(i=2;i<=n;i++){t=a[i];for(j=i-1;j>=1&&a[j]+0>t+0;j--)a[j+1]=a[j];a[j+1]=t}
      return (n%2)?a[(n+1)/2]:(a[n/2]+a[n/2+1])/2}
    NR>1 { rps[$2,$3]=rps[$2,$3]" "$5; us[$2,$3]=us[$2,$3]" "$7 }
    END { n=split(order,ts,",");
      for(i=1;i<=n;i++){t=ts[i]; a=med(rps["node",t]); b=med(rps["redis7",t]); c=med(us["node",t]); d=med(us["redis7",t]);
        printf "| %-10s | %12s | %12s | %7s | %11s | %11s | %7s |\n", t,
          (a==""?"-":sprintf("%.0f",a)), (b==""?"-":sprintf("%.0f",b)), (a==""||b==""||b==0?"-":sprintf("%.2fx",a/b)),
          (c==""?"-":sprintf("%.3f",c)), (d==""?"-":sprintf("%.3f",d)), (c==""||d==""||d==0?"-":sprintf("%.2fx",c/d)) } }' "$raw"
} | tee -a "$out"
echo "bench-types: saved $out"
