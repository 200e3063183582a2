#!/usr/bin/env bash
# bench-repl.sh - full synchronisation of a replica over TLS, the built valkey-node and Debian's
# redis-server side by side (what `make bench-repl` does): valkey-node primary to valkey-node replica and
# redis-server primary to redis-server replica.
#
# Usage: scripts/bench-repl.sh          (QUICK=1 scripts/bench-repl.sh for a smoke test)
#
# Every server, primary or replica, gets the same command line, TLS only, on loopback:
#   BINARY --bind 127.0.0.1 --port 0 --tls-port P --tls-cert-file server.crt --tls-key-file server.key
#          --tls-ca-cert-file ca.crt --tls-replication yes --repl-diskless-sync yes
#          --repl-diskless-sync-delay 0 --dir <scratch> --save "" --appendonly no --daemonize no
# with certificates from `valkey-node gen-certs` (server.crt also serves as the replica's client
# certificate; tls-auth-clients keeps its default, yes). Per run each pair has its turn (node then redis in
# odd runs, redis then node in even runs) and goes through:
#  1. a primary is started and KEYS string keys (key:%012d, 16-byte values, as bench-persist.sh) are
#     loaded with redis-cli --pipe over TLS; a SAVE of that data gives the RDB size (the file is deleted
#     at once: with diskless sync the transfer itself touches no disk on the primary);
#  2. an empty replica is started, and the full sync is timed from just before REPLICAOF is sent to it
#     until it reports master_link_status:up and DBSIZE equals KEYS, polled every 5 ms on one TLS
#     connection held open by `openssl s_client` (so no process start or handshake per poll). The
#     replica's own log gives a second figure: "Connecting to MASTER/PRIMARY" to "sync: Finished with
#     success" (ms resolution). The CPU of both servers in that time (each one's session, plus children
#     it reaped, so redis's fork child counts) is measured from /proc.
# Throughput is the SAVEd RDB size over the polled sync time; MB are 10^6 bytes. Both replicas keep
# repl-diskless-load disabled (the default): the stream is written to a file in the replica's dir, then
# loaded.
#
# Environment (all optional; QUICK=1 changes the defaults in brackets after the slash):
#   BIN        valkey-node binary                         [bin/valkey-node]
#   REDIS      the redis-server to compare with           [redis-server]
#   QUICK      1 = smoke test defaults                    [0]
#   RUNS       runs (medians are taken over them)         [3 / 1]
#   KEYS       string keys to synchronise                 [1000000 / 100000]
#   PORT       first port; each server start uses the next free one   [16900]
#   TIMEOUT    seconds for one start, load, SAVE or sync  [300]
#   BENCH_DIR  where certificates, scratch and results go [bin/bench]
# Output: progress lines on stderr, then a table of medians with node, redis and node/redis (times and CPU:
# node below 1.0 is better; MB/s: node above 1.0 is better). Saved as $BENCH_DIR/repl-<UTC time>.txt, the
# single runs as .csv beside it (run,server,metric,value). Data files (RDBs, the generated key file) are
# deleted as soon as they are done with; logs stay in the scratch dir.
set -uo pipefail
export LC_ALL=C # byte counts in read -N, "." in numbers

quick=${QUICK:-0}
if [ "$quick" = 1 ]; then d_runs=1 d_keys=100000; else d_runs=3 d_keys=1000000; fi
bin=${BIN:-bin/valkey-node}
redis=${REDIS:-redis-server}
runs=${RUNS:-$d_runs}
keys=${KEYS:-$d_keys}
port=${PORT:-16900}
tmo=${TIMEOUT:-300}
dir=${BENCH_DIR:-bin/bench}

die() { echo "bench-repl: $*" >&2; exit 1; }
log() { echo "# $*" >&2; }
[ -x "$bin" ] || die "$bin is not built (run: make build)"
command -v "$redis" > /dev/null || die "$redis not found: install the Debian package redis-server"
command -v redis-cli > /dev/null || die "redis-cli not found: install the Debian package redis-tools"
command -v openssl > /dev/null || die "openssl not found: install the Debian package openssl"
command -v timeout > /dev/null || die "timeout (coreutils) not found"
command -v setsid > /dev/null || die "setsid not found: install the Debian package util-linux"
command -v ps > /dev/null || die "ps not found: install the Debian package procps"
[ -n "${EPOCHREALTIME:-}" ] || die "bash 5 or later is needed (EPOCHREALTIME)"
for v in runs keys port tmo; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done

mkdir -p "$dir" && dir=$(cd "$dir" && pwd)
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
certs=$dir/repl-certs
tls_files=(--tls-cert-file "$certs/server.crt" --tls-key-file "$certs/server.key" --tls-ca-cert-file "$certs/ca.crt")
if ! "$bin" check-tls --tls-port "$port" "${tls_files[@]}" > /dev/null 2>&1; then
  "$bin" gen-certs "$certs" > /dev/null || die "gen-certs $certs failed"
fi
stamp=$(date -u +%Y%m%dT%H%M%SZ)
work=$dir/repl-scratch-$stamp out=$dir/repl-$stamp.txt raw=$dir/repl-$stamp.csv
keyfile=$work/keys.resp
mkdir -p "$work"
mkfifo "$work/nap" && exec {nap_fd}<> "$work/nap" || die "mkfifo $work/nap failed"
echo "run,server,metric,value" > "$raw"
hz=$(getconf CLK_TCK)
names=(node redis) bins=("$bin" "$redis")
cli_tls=(--tls --cert "$certs/client.crt" --key "$certs/client.key" --cacert "$certs/ca.crt")

# elapsed T0 [T1]: seconds from T0 to T1 (EPOCHREALTIME values; T1 defaults to now)
elapsed() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN{printf "%.4f", b - a}'; }
calc() { awk "BEGIN{printf \"%.4f\", $1}"; }
nap() { read -r -t "$1" -u "$nap_fd" _nap 2>/dev/null; } # sleeps without a process: nothing writes the fifo
# cli PORT ARG...: one command by redis-cli over TLS (setup steps, not timed)
cli() { timeout "$tmo" redis-cli -h 127.0.0.1 -p "$1" "${cli_tls[@]}" "${@:2}" {nap_fd}>&-; }

# ---- a TLS connection held open by openssl s_client, spoken to through two fifos ------------------------
# Polling by redis-cli would cost a process and a TLS handshake per poll on the machine being measured.
ctl_pid="" ctl_w="" ctl_r="" reply="" val=""
ctl_open() { # ctl_open PORT: connects and checks with PING; returns 1 if that fails within 10 s
  ctl_close
  rm -f "$work/ctl-in" "$work/ctl-out"
  mkfifo "$work/ctl-in" "$work/ctl-out" || return 1
  openssl s_client -quiet -nocommands -verify_return_error -connect "127.0.0.1:$1" -servername localhost \
    -cert "$certs/client.crt" -key "$certs/client.key" -CAfile "$certs/ca.crt" \
    < "$work/ctl-in" > "$work/ctl-out" 2> "$work/ctl-$1.err" {nap_fd}>&- &
  ctl_pid=$!
  # read-write opens do not block, so a client that failed to start cannot hang the script
  exec {ctl_w}<> "$work/ctl-in" {ctl_r}<> "$work/ctl-out"
  ctl_tmo=10 ctl PING; ctl_tmo=$tmo
  [ "$reply" = +PONG ] && return 0
  log "TLS control connection to port $1 failed: $(tr '\n' ' ' < "$work/ctl-$1.err")"
  ctl_close; return 1
}
ctl_close() {
  [ -z "$ctl_w" ] || exec {ctl_w}>&-
  [ -z "$ctl_r" ] || exec {ctl_r}<&-
  ctl_w="" ctl_r=""
  [ -z "$ctl_pid" ] || { kill -TERM "$ctl_pid" 2>/dev/null; wait "$ctl_pid" 2>/dev/null; ctl_pid=""; }
}
ctl_tmo=$tmo
# ctl ARG...: one command; reply is the reply's line (+simple, -error, :integer) or a bulk string's text.
# Returns 1 when there is no connection or no reply within ctl_tmo seconds.
ctl() {
  local a line n body msg="*$#"$'\r\n'
  for a; do msg+="\$${#a}"$'\r\n'"$a"$'\r\n'; done
  reply=""
  [ -n "$ctl_w" ] || return 1
  printf '%s' "$msg" >&"$ctl_w" 2>/dev/null || return 1
  IFS= read -r -t "$ctl_tmo" -u "$ctl_r" line || return 1
  line=${line%$'\r'}
  if [[ $line == '$'* ]]; then
    n=${line#\$}
    if [ "$n" -ge 0 ]; then IFS= read -r -N $((n + 2)) -t "$ctl_tmo" -u "$ctl_r" body || return 1; reply=${body%$'\r\n'}; fi
  else reply=$line; fi
}
# info_val SECTION FIELD: sets val to the field of INFO SECTION (empty if it is missing)
info_val() {
  val=""
  ctl INFO "$1" || return 1
  local r=${reply#*$'\n'"$2":}
  [ "$r" = "$reply" ] || val=${r%%$'\r'*}
}

# ---- servers: a primary (p_*) and a replica (r_*), each in its own session ------------------------------
p_pid="" p_port="" r_pid="" r_port=""
cpu_ticks() { # cpu_ticks PID: utime+stime of every process in its session, plus the children it reaped
  [ -n "$1" ] || { echo 0; return; }
  local t=0 p s
  for p in $(ps -s "$1" -o pid= 2>/dev/null); do
    s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    s=${s##*) }; set -- "$1" $s; t=$((t + ${13} + ${14}))
    [ "$p" = "$1" ] && t=$((t + ${15} + ${16}))
  done
  echo "$t"
}
stop_server() { # stop_server p|r: TERM to its session, KILL after 10 s
  local pv=${1}_pid t pid
  pid=${!pv}
  [ -n "$pid" ] || return 0
  kill -TERM -- "-$pid" 2>/dev/null
  for t in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; nap 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  printf -v "$pv" ''
}
cleanup() { # also when interrupted: no process and no data file left behind
  ctl_close; stop_server r; stop_server p
  rm -f "$keyfile" "$work/nap" "$work/ctl-in" "$work/ctl-out"
  find "$work" -name '*.rdb' -delete 2>/dev/null
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# start_server IDX p|r DIR: a server on the next free port; sets p_/r_pid and _port once it answers PING.
# Returns 1 if it did not come up.
start_server() {
  local i=$1 role=$2 d=$3 t pid
  port=$((port + 1))
  while (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; do port=$((port + 1)); done # taken: next
  mkdir -p "$d"
  local -a cmd=("${bins[$i]}" --bind 127.0.0.1 --port 0 --tls-port "$port" "${tls_files[@]}"
    --tls-replication yes --repl-diskless-sync yes --repl-diskless-sync-delay 0
    --dir "$d" --save "" --appendonly no --daemonize no)
  printf '%q ' "${cmd[@]}" > "$d/command"
  setsid "${cmd[@]}" > "$d/server.log" 2>&1 < /dev/null {nap_fd}>&- &
  pid=$!
  printf -v "${role}_pid" '%s' "$pid"; printf -v "${role}_port" '%s' "$port"
  for t in $(seq $((tmo * 10))); do
    [ "$(cli "$port" PING 2>/dev/null)" = PONG ] && return 0
    kill -0 "$pid" 2>/dev/null || { tail -20 "$d/server.log" >&2; log "${names[$i]} exited"; stop_server "$role"; return 1; }
    nap 0.1
  done
  tail -20 "$d/server.log" >&2; log "${names[$i]}: no PONG after ${tmo}s"; stop_server "$role"; return 1
}

# rec RUN NAME METRIC VALUE: one row of $raw
rec() { [ -n "$4" ] && echo "$1,$2,$3,$4" >> "$raw"; log "run $1 $2 $3 $4"; }

# log_sync_s LOG: seconds of the last full sync by the replica's log, from "Connecting to MASTER" (redis)
# or "Connecting to PRIMARY" (valkey-node) to "sync: Finished with success"
log_sync_s() {
  awk 'function sec(t,  a){ split(t, a, ":"); return a[1]*3600 + a[2]*60 + a[3] }
    /Connecting to (MASTER|PRIMARY)/ { st = sec($5); en = "" }
    /sync: Finished with success/ && st != "" && en == "" { en = sec($5) }
    END { if (st != "" && en != "") { d = en - st; if (d < 0) d += 86400; printf "%.3f", d } }' "$1"
}

# one_run RUN IDX: primary, data, replica, timed full sync
one_run() {
  local run=$1 i=$2 name=${names[$2]} d=$work/run$1-${names[$2]} t0 t1 r rdb pc0 rc0 pc1 rc1 phase deadline
  start_server "$i" p "$d/primary" || return 0
  t0=$EPOCHREALTIME
  r=$(cli "$p_port" --pipe < "$keyfile" 2>&1)
  if [[ $r != *"errors: 0, replies: $keys"* ]] || [ "$(cli "$p_port" DBSIZE)" != "$keys" ]; then
    log "run $run $name: loading $keys keys failed: $(tail -c 300 <<< "$r" | tr '\n' ' ')"; stop_server p; return 0
  fi
  rec "$run" "$name" pipe_load_s "$(elapsed "$t0")"
  r=$(cli "$p_port" SAVE 2>&1)
  [ "$r" = OK ] && [ -f "$d/primary/dump.rdb" ] || { log "run $run $name: SAVE: $r"; stop_server p; return 0; }
  rdb=$(stat -c %s "$d/primary/dump.rdb")
  rm -f "$d/primary/dump.rdb"
  rec "$run" "$name" rdb_mb "$(calc "$rdb / 1e6")"

  start_server "$i" r "$d/replica" || { stop_server p; return 0; }
  ctl_open "$r_port" || { stop_server r; stop_server p; return 0; }
  pc0=$(cpu_ticks "$p_pid") rc0=$(cpu_ticks "$r_pid")
  t0=$EPOCHREALTIME t1="" phase=link deadline=$((${EPOCHREALTIME%.*} + tmo))
  ctl REPLICAOF 127.0.0.1 "$p_port"
  if [[ $reply != +OK* ]]; then
    log "run $run $name: REPLICAOF: $reply"
  else
    while [ "${EPOCHREALTIME%.*}" -lt "$deadline" ]; do
      if [ "$phase" = link ]; then
        info_val replication master_link_status || break
        [ "$val" = up ] && phase=dbsize
      fi
      if [ "$phase" = dbsize ]; then
        ctl DBSIZE || break
        [ "$reply" = ":$keys" ] && { t1=$EPOCHREALTIME; break; }
      fi
      kill -0 "$r_pid" 2>/dev/null && kill -0 "$p_pid" 2>/dev/null || break
      nap 0.005
    done
  fi
  pc1=$(cpu_ticks "$p_pid") rc1=$(cpu_ticks "$r_pid")
  if [ -n "$t1" ]; then
    r=$(elapsed "$t0" "$t1")
    rec "$run" "$name" sync_s "$r"
    rec "$run" "$name" sync_log_s "$(log_sync_s "$d/replica/server.log")"
    rec "$run" "$name" sync_mb_s "$(calc "$rdb / 1e6 / $r")"
    rec "$run" "$name" primary_cpu_s "$(calc "($pc1 - $pc0) / $hz")"
    rec "$run" "$name" replica_cpu_s "$(calc "($rc1 - $rc0) / $hz")"
    r=$(cli "$p_port" INFO stats | tr -d '\r' | sed -n 's/^sync_full://p')
    [ "$r" = 1 ] || log "run $run $name: the primary counts $r full syncs, not 1"
  else
    log "run $run $name: no full sync within ${tmo}s (link '$val', DBSIZE '$reply'); replica log:"
    tail -10 "$d/replica/server.log" >&2
  fi
  ctl_close; stop_server r; stop_server p
  find "$d" -name '*.rdb' -delete
}

# ---- header, key file, runs ----------------------------------------------------------------------------
{
  echo "bench-repl $(date -u +%Y-%m-%dT%H:%M:%SZ): valkey-node $("$bin" --version) vs $("$redis" --version | head -1)"
  echo "cpu: $(lscpu 2>/dev/null | awk -F: '/^Model name/{gsub(/^ +/,"",$2);print $2}') x $(nproc) cores," \
    "$(openssl version 2>/dev/null | cut -d' ' -f1-2), load: $(cut -d' ' -f1-3 /proc/loadavg);" \
    "disk: $(df -hP "$work" | awk 'NR==2{print $1}')"
  echo "full sync over TLS, repl-diskless-sync yes, repl-diskless-sync-delay 0; keys $keys (16-byte values);" \
    "runs $runs$([ "$quick" = 1 ] && echo ' (QUICK)'); scratch $work"
} | tee "$out"
log "writing $keys SET commands to $keyfile"
awk -v n="$keys" 'BEGIN{for(i=0;i<n;i++) printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$16\r\nvalue-%010d\r\n", i, i}' \
  > "$keyfile" || die "writing $keyfile failed"
for run in $(seq "$runs"); do
  order=(0 1); [ $((run % 2)) = 0 ] && order=(1 0)
  for i in "${order[@]}"; do one_run "$run" "$i"; done
done
rm -f "$keyfile"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"

# ---- table: medians over runs ----------------------------------------------------------------------------
# metric|label|printf format; "#" starts a new table
metrics="#Full sync of $keys keys over TLS (from REPLICAOF to master_link_status:up and DBSIZE $keys)
sync_s|full sync (s)|%.3f
sync_log_s|  by the replica's log (s)|%.3f
rdb_mb|RDB of the same data, by SAVE (MB)|%.1f
sync_mb_s|throughput, RDB MB / full sync (MB/s)|%.1f
primary_cpu_s|primary CPU during the sync (s)|%.2f
replica_cpu_s|replica CPU during the sync (s)|%.2f
pipe_load_s|loading the keys with redis-cli --pipe (s)|%.3f"
awk -F, -v metrics="$metrics" '
  function med(str,  a,n,i,j,t){n=split(str,a," "); if(n==0) return "";
    for(i=2;i<=n;i++){t=a[i];for(j=i-1;j>=1&&a[j]+0>t+0;j--)a[j+1]=a[j];a[j+1]=t}
    return (n%2)?a[(n+1)/2]:(a[n/2]+a[n/2+1])/2}
  function fmt(v, f){ return v=="" ? "-" : sprintf(f, v) }
  NR>1 { v[$2,$3]=v[$2,$3]" "$4 }
  END { n=split(metrics, ms, "\n")
    for(i=1;i<=n;i++){
      if(substr(ms[i],1,1)=="#"){
        printf "\n%s\n| %-42s | %11s | %11s | %7s |\n", substr(ms[i],2), "", "node", "redis", "ratio"
        print "|--------------------------------------------|-------------|-------------|---------|"; continue }
      split(ms[i], m, "|"); a=med(v["node",m[1]]); b=med(v["redis",m[1]])
      r = (a==""||b==""||b+0==0) ? "-" : sprintf("%.2fx", a/b)
      printf "| %-42s | %11s | %11s | %7s |\n", m[2], fmt(a,m[3]), fmt(b,m[3]), r } }' "$raw" | tee -a "$out"
echo "bench-repl: saved $out"
