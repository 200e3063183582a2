#!/usr/bin/env bash
# bench-persist.sh - persistence costs of the built valkey-node and Debian's redis-server side by side
# (what `make bench-persist` does): RDB background save, RDB load at start-up and AOF write throughput.
#
# Usage: scripts/bench-persist.sh          (QUICK=1 scripts/bench-persist.sh for a smoke test)
#
# Both servers get the same command line, plain TCP on loopback:
#   BINARY --bind 127.0.0.1 --port P --dir <scratch> --save "" --daemonize no --appendonly no
# (the AOF part uses --appendonly yes --appendfsync everysec instead). Per run each server has its turn
# (node then redis in odd runs, redis then node in even runs) and goes through:
#  1. RDB save: KEYS string keys (key:%012d, the names redis-benchmark -r KEYS asks for, 16-byte values)
#     are loaded with redis-cli --pipe, then a BGSAVE with no clients ("idle") is timed from just before
#     the BGSAVE is sent to rdb_bgsave_in_progress:0, polled every 5 ms on a connection of the shell's own
#     (/dev/tcp, so no process start per poll), together with the server's CPU in that time (its session's
#     processes plus reaped children, so redis's fork child counts). redis clears rdb_bgsave_in_progress
#     only when serverCron reaps the child (hz 10: up to ~100 ms late), so the save time by the server's
#     own log is given too: "Background saving started" to redis's child "DB saved on disk" or
#     valkey-node's "Background saving terminated" (ms resolution; both start after the part of BGSAVE
#     that holds up clients: redis's fork, valkey-node's snapshot capture).
#     Then GET latency: a baseline redis-benchmark -t get -r KEYS -c CLIENTS -P 1 with no save, and the
#     same during a BGSAVE: that benchmark starts first, BGSAVE is sent once its clients are all connected
#     (so a fork stall is seen), and its request count is sized from the baseline rate and the idle save
#     time (SAVE_SHARE of it, at least 2000) so that it should end before the save does. redis-benchmark
#     prints its percentiles only at its end, so it cannot be cut off at the end of the save; instead
#     "share of that benchmark in the save" says how much of its wall time the save overlapped (below
#     100% its figures include time without a save) and "share of the save it covered" how much of the
#     save it saw.
#  2. Start-up: SAVE, SHUTDOWN NOSAVE, a new process on the same dir; the time from its start to the first
#     PONG (polled every 5 ms; valkey-node opens its port after the load, redis answers -LOADING until
#     then) and the seconds the server's own "DB loaded from disk" log line gives.
#  3. AOF: a new server with appendonly yes, appendfsync everysec on an empty dir, then redis-benchmark
#     -t set -r RANDOM_KEYS -c CLIENTS at -P 1 (REQUESTS) and -P 16 (REQUESTS_P16): req/s and server CPU
#     µs per request. Automatic AOF rewrites keep their defaults on both and are counted.
#
# Environment (all optional; QUICK=1 changes the defaults in brackets after the slash):
#   BIN          valkey-node binary                                 [bin/valkey-node]
#   REDIS        the redis-server to compare with                   [redis-server]
#   QUICK        1 = smoke test defaults                            [0]
#   RUNS         runs (medians are taken over them)                 [3 / 1]
#   KEYS         string keys for the RDB figures                    [1000000 / 100000]
#   LAT_REQUESTS GETs of the baseline latency benchmark             [200000 / 100000]
#   SAVE_SHARE   the during-save benchmark aims at this share of    [0.8]
#                the idle save time
#   REQUESTS     AOF SET requests at -P 1                           [200000 / 100000]
#   REQUESTS_P16 AOF SET requests at -P 16                          [5 x REQUESTS]
#   CLIENTS      parallel clients (-c)                              [50]
#   RANDOM_KEYS  keyspace of the AOF SETs (-r)                      [100000]
#   PORT         first port; each server start uses the next free   [16800]
#   TIMEOUT      seconds for one load, save or benchmark            [300]
#   BENCH_DIR    where scratch and results go                       [bin/bench]
# Output: progress lines on stderr, then one table of medians per figure with node, redis and node/redis
# (times, latencies, CPU: node below 1.0 is better; req/s: node above 1.0 is better). Saved as
# $BENCH_DIR/persist-<UTC time>.txt, the single runs as .csv beside it (run,server,metric,value). Data
# files (RDB, AOF, the generated key file) are deleted as soon as they are done with; logs stay in the
# scratch dir.
set -uo pipefail
export LC_ALL=C # byte counts in read -N, "." in numbers

quick=${QUICK:-0}
if [ "$quick" = 1 ]; then d_runs=1 d_keys=100000 d_lat=100000 d_req=100000; else
  d_runs=3 d_keys=1000000 d_lat=200000 d_req=200000; fi
bin=${BIN:-bin/valkey-node}
redis=${REDIS:-redis-server}
runs=${RUNS:-$d_runs}
keys=${KEYS:-$d_keys}
lat_requests=${LAT_REQUESTS:-$d_lat}
save_share=${SAVE_SHARE:-0.8}
requests=${REQUESTS:-$d_req}
requests16=${REQUESTS_P16:-$((5 * requests))}
clients=${CLIENTS:-50}
randkeys=${RANDOM_KEYS:-100000}
port=${PORT:-16800}
tmo=${TIMEOUT:-300}
dir=${BENCH_DIR:-bin/bench}

die() { echo "bench-persist: $*" >&2; exit 1; }
log() { echo "# $*" >&2; }
[ -x "$bin" ] || die "$bin is not built (run: make build)"
command -v "$redis" > /dev/null || die "$redis not found: install the Debian package redis-server"
command -v redis-benchmark > /dev/null || die "redis-benchmark not found: install the Debian package redis-tools"
command -v redis-cli > /dev/null || die "redis-cli not found: install the Debian package redis-tools"
command -v timeout > /dev/null || die "timeout (coreutils) not found"
command -v setsid > /dev/null || die "setsid not found: install the Debian package util-linux"
command -v ps > /dev/null || die "ps not found: install the Debian package procps"
[ -n "${EPOCHREALTIME:-}" ] || die "bash 5 or later is needed (EPOCHREALTIME)"
for v in runs keys lat_requests requests requests16 clients randkeys port tmo; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done

mkdir -p "$dir" && dir=$(cd "$dir" && pwd)
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
stamp=$(date -u +%Y%m%dT%H%M%SZ)
work=$dir/persist-scratch-$stamp out=$dir/persist-$stamp.txt raw=$dir/persist-$stamp.csv
keyfile=$work/keys.resp
mkdir -p "$work"
mkfifo "$work/nap" && exec {nap_fd}<> "$work/nap" || die "mkfifo $work/nap failed"
echo "run,server,metric,value" > "$raw"
hz=$(getconf CLK_TCK)
names=(node redis) bins=("$bin" "$redis")

# elapsed T0 [T1]: seconds from T0 to T1 (EPOCHREALTIME values; T1 defaults to now)
elapsed() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN{printf "%.4f", b - a}'; }
calc() { awk "BEGIN{printf \"%.4f\", $1}"; }

# ---- a RESP connection of the shell's own (/dev/tcp), so that polling costs no process per request ----
ctl_fd="" reply="" val=""
nap() { read -r -t "$1" -u "$nap_fd" _nap 2>/dev/null; } # sleeps without a process: nothing writes the fifo
ctl_open() { ctl_close; { exec {ctl_fd}<> "/dev/tcp/127.0.0.1/$srv_port"; } 2>/dev/null || { ctl_fd=""; return 1; }; }
ctl_close() { [ -z "$ctl_fd" ] || exec {ctl_fd}>&-; ctl_fd=""; }
# ctl ARG...: one command; reply is the reply's line (+simple, -error, :integer) or a bulk string's text.
# Returns 1 when the connection fails or no reply comes within TIMEOUT.
ctl() {
  local a line n body out="*$#"$'\r\n'
  for a; do out+="\$${#a}"$'\r\n'"$a"$'\r\n'; done
  reply=""
  [ -n "$ctl_fd" ] || return 1
  printf '%s' "$out" >&"$ctl_fd" 2>/dev/null || return 1
  IFS= read -r -t "$tmo" -u "$ctl_fd" line || return 1
  line=${line%$'\r'}
  if [[ $line == '$'* ]]; then
    n=${line#\$}
    if [ "$n" -ge 0 ]; then IFS= read -r -N $((n + 2)) -t "$tmo" -u "$ctl_fd" body || return 1; reply=${body%$'\r\n'}; fi
  else reply=$line; fi
}
# info_val SECTION FIELD: sets val to the field of INFO SECTION (empty if it is missing)
info_val() {
  val=""
  ctl INFO "$1" || return 1
  local r=${reply#*$'\n'"$2":}
  [ "$r" = "$reply" ] || val=${r%%$'\r'*}
}

# ---- servers (own session, CPU of the whole session, TERM then KILL) -------------------------------
srv_pid="" srv_port="" srv_dir="" srv_name="" srv_ready=""
cpu_ticks() { # utime+stime of every process in the server's session, plus the children it reaped
  [ -n "$srv_pid" ] || { echo 0; return; }
  local t=0 p s
  for p in $(ps -s "$srv_pid" -o pid= 2>/dev/null); do
    s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    s=${s##*) }; set -- $s; t=$((t + ${12} + ${13}))
    [ "$p" = "$srv_pid" ] && t=$((t + ${14} + ${15}))
  done
  echo "$t"
}
wait_exit() { # the server was told to exit: give it 30 s, then make sure
  local t; for t in $(seq 300); do kill -0 "$srv_pid" 2>/dev/null || break; nap 0.1; done
  stop_server
}
stop_server() {
  ctl_close
  [ -n "$srv_pid" ] || return 0
  kill -TERM -- "-$srv_pid" 2>/dev/null
  local t; for t in $(seq 100); do kill -0 "$srv_pid" 2>/dev/null || break; nap 0.1; done
  kill -KILL -- "-$srv_pid" 2>/dev/null
  wait "$srv_pid" 2>/dev/null; srv_pid=""
}
bench_pid=""
stop_bench() { [ -z "$bench_pid" ] || { kill -TERM "$bench_pid" 2>/dev/null; wait "$bench_pid" 2>/dev/null; bench_pid=""; }; }
cleanup() { # also when interrupted: no data files left behind
  stop_bench; stop_server; rm -f "$keyfile" "$work/nap"
  find "$work" \( -name dump.rdb -o -name appendonlydir -o -name '*.aof' \) -prune -exec rm -rf {} + 2>/dev/null
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# start_server IDX DIR TAG [extra args]: a server on the next free port; sets srv_pid srv_port
# srv_ready (seconds from the process start to the first PONG, polled every 5 ms) and leaves ctl open.
# Returns 1 if it did not come up.
start_server() {
  local i=$1 d=$2 tag=$3 t0 t
  shift 3
  srv_name=${names[$i]} srv_dir=$d
  port=$((port + 1))
  while (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; do port=$((port + 1)); done # taken: next
  srv_port=$port
  mkdir -p "$d"
  local -a cmd=("${bins[$i]}" --bind 127.0.0.1 --port "$srv_port" --dir "$d" --save "" --daemonize no "$@")
  printf '%q ' "${cmd[@]}" > "$d/command-$tag"
  t0=$EPOCHREALTIME
  setsid "${cmd[@]}" > "$d/server-$tag.log" 2>&1 < /dev/null {nap_fd}>&- &
  srv_pid=$!
  local deadline=$((${t0%.*} + tmo))
  while [ "${EPOCHREALTIME%.*}" -lt "$deadline" ]; do
    # valkey-node refuses connections until its data is loaded, redis answers -LOADING
    if [ -n "$ctl_fd" ] || ctl_open; then
      if ctl PING && [ "$reply" = +PONG ]; then srv_ready=$(elapsed "$t0"); return 0; fi
      [[ $reply == -* ]] || ctl_close
    fi
    kill -0 "$srv_pid" 2>/dev/null || { tail -20 "$d/server-$tag.log" >&2; srv_pid=""; log "$srv_name exited"; return 1; }
    nap 0.005
  done
  stop_server; tail -20 "$d/server-$tag.log" >&2; log "$srv_name: not ready after ${tmo}s"; return 1
}

# rec RUN METRIC VALUE: one row of $raw
rec() { [ -n "$3" ] && echo "$1,$srv_name,$2,$3" >> "$raw"; log "run $1 $srv_name $2 $3"; }

# bgsave: sends BGSAVE (t0 just before) and polls INFO persistence every 5 ms until the save ends; sets
# save_end, and bench_end when the benchmark in bench_pid (if any) ends first. Returns 1 if the save could
# not start, failed or outlasted TIMEOUT.
bgsave() {
  t0=$EPOCHREALTIME save_end=""
  ctl BGSAVE
  [[ $reply == *started* ]] || { log "$srv_name: BGSAVE: $reply"; return 1; }
  local deadline=$((${t0%.*} + tmo))
  while [ "${EPOCHREALTIME%.*}" -lt "$deadline" ]; do
    info_val persistence rdb_bgsave_in_progress || break
    if [ "$val" = 0 ]; then
      save_end=$EPOCHREALTIME
      info_val persistence rdb_last_bgsave_status
      [ "$val" = ok ] && return 0
      log "$srv_name: BGSAVE failed: $(tail -3 "$srv_dir"/server-rdb.log | tr '\n' ' ')"; return 1
    fi
    if [ -n "$bench_pid" ] && [ -z "$bench_end" ] && ! kill -0 "$bench_pid" 2>/dev/null; then
      bench_end=$EPOCHREALTIME
    fi
    nap 0.005
  done
  log "$srv_name: BGSAVE did not end within ${tmo}s (or INFO failed)"; return 1
}
# log_bgsave_s LOG: seconds of the last background save by the server's log: from "Background saving
# started" to the first "DB saved on disk" (redis's child, before the parent notices) or "Background
# saving terminated" (valkey-node) after it; the log times have millisecond resolution.
log_bgsave_s() {
  awk 'function sec(t,  a){ split(t, a, ":"); return a[1]*3600 + a[2]*60 + a[3] }
    /Background saving started/ { st = sec($5); en = "" }
    (/DB saved on disk/ || /Background saving terminated/) && st != "" && en == "" { en = sec($5) }
    END { if (st != "" && en != "") { d = en - st; if (d < 0) d += 86400; printf "%.3f", d } }' "$1"
}

# get_bench N OUT: redis-benchmark GETs on the loaded keys, in the background (bench_pid, bench_start)
get_bench() {
  bench_start=$EPOCHREALTIME bench_end=""
  timeout "$tmo" redis-benchmark -h 127.0.0.1 -p "$srv_port" -c "$clients" -P 1 -n "$1" -r "$keys" \
    -t get --csv > "$2" 2> "$2.err" {nap_fd}>&- {ctl_fd}>&- &
  bench_pid=$!
}
# csv_col FILE COL: a column of redis-benchmark's --csv result line (2 rps, 5 p50, 7 p99, 8 max; ms)
csv_col() { awk -F, -v c="$2" 'NR==2{gsub(/"/,""); print $c}' "$1"; }
# bench_done RUN PREFIX OUT: waits for the benchmark and records its rps and latencies as PREFIX_*
bench_done() {
  local rc
  wait "$bench_pid"; rc=$?; bench_pid=""
  [ -n "$bench_end" ] || bench_end=$EPOCHREALTIME
  if [ $rc -ne 0 ] || [ -z "$(csv_col "$3" 2)" ]; then
    log "run $1 $srv_name $2 benchmark FAILED rc=$rc: $(tail -c 300 "$3.err" | tr '\n' ' ')"; return 1
  fi
  rec "$1" "$2_rps" "$(csv_col "$3" 2)"
  rec "$1" "$2_p50_ms" "$(csv_col "$3" 5)"
  rec "$1" "$2_p99_ms" "$(csv_col "$3" 7)"
  rec "$1" "$2_max_ms" "$(csv_col "$3" 8)"
}

# ---- 1 and 2: RDB save, latency during it, start-up load --------------------------------------------
rdb_part() {
  local run=$1 i=$2 d=$work/run$1-${names[$2]} t0 c0 c1 r n idle rps a b t
  start_server "$i" "$d" rdb --appendonly no || return 0
  t0=$EPOCHREALTIME
  r=$(timeout "$tmo" redis-cli -h 127.0.0.1 -p "$srv_port" --pipe < "$keyfile" 2>&1)
  ctl DBSIZE
  if [[ $r != *"errors: 0, replies: $keys"* ]] || [ "$reply" != ":$keys" ]; then
    log "run $run $srv_name: loading $keys keys failed: $(tail -c 300 <<< "$r" | tr '\n' ' ')"; stop_server; return 0
  fi
  rec "$run" pipe_load_s "$(elapsed "$t0")"

  # idle BGSAVE (bgsave sets t0)
  c0=$(cpu_ticks) idle=""
  if bgsave; then
    c1=$(cpu_ticks) idle=$(elapsed "$t0" "$save_end")
    rec "$run" bgsave_idle_s "$idle"
    rec "$run" bgsave_idle_log_s "$(log_bgsave_s "$d/server-rdb.log")"
    rec "$run" bgsave_cpu_s "$(calc "($c1 - $c0) / $hz")"
    rec "$run" rdb_mb "$(calc "$(stat -c %s "$d/dump.rdb") / 1048576")"
  fi

  # GET latency, no save running
  get_bench "$lat_requests" "$d/get-base.csv"
  bench_done "$run" get_base "$d/get-base.csv" && rps=$(csv_col "$d/get-base.csv" 2) || rps=""

  # GET latency during a BGSAVE: the benchmark first, BGSAVE once all its clients are connected
  if [ -n "$idle" ] && [ -n "$rps" ]; then
    n=$(awk -v r="$rps" -v s="$idle" -v f="$save_share" 'BEGIN{n=int(r*s*f); print (n < 2000 ? 2000 : n)}')
    rec "$run" get_save_requests "$n"
    get_bench "$n" "$d/get-save.csv"
    for t in $(seq 1000); do # this shell's connection is one more
      info_val clients connected_clients && [ "${val:-0}" -gt "$clients" ] && break
      kill -0 "$bench_pid" 2>/dev/null || break
      nap 0.002
    done
    if bgsave; then
      rec "$run" bgsave_loaded_s "$(elapsed "$t0" "$save_end")"
      rec "$run" bgsave_loaded_log_s "$(log_bgsave_s "$d/server-rdb.log")"
      if bench_done "$run" get_save "$d/get-save.csv"; then
        read -r a b < <(awk -v b0="$bench_start" -v b1="$bench_end" -v s0="$t0" -v s1="$save_end" 'BEGIN{
          lo = (b0 > s0 ? b0 : s0); hi = (b1 < s1 ? b1 : s1); o = (hi > lo ? hi - lo : 0)
          printf "%.1f %.1f\n", 100 * o / (b1 - b0), 100 * o / (s1 - s0) }')
        rec "$run" bench_in_save_pct "$a"; rec "$run" save_covered_pct "$b"
      fi
    else
      stop_bench
    fi
  fi

  # start-up: SAVE, SHUTDOWN NOSAVE, a new process on the same dir
  t0=$EPOCHREALTIME
  ctl SAVE
  [ "$reply" = +OK ] || { log "run $run $srv_name: SAVE: $reply"; stop_server; rm -f "$d/dump.rdb"; return 0; }
  rec "$run" save_s "$(elapsed "$t0")"
  ctl SHUTDOWN NOSAVE # no reply: the connection closes
  wait_exit
  if start_server "$i" "$d" restart --appendonly no; then
    rec "$run" startup_to_pong_s "$srv_ready"
    rec "$run" log_loaded_s "$(sed -n 's/.*DB loaded from disk[^0-9]*\([0-9][0-9.]*\).*/\1/p' "$d/server-restart.log" | head -1)"
    ctl DBSIZE; [ "$reply" = ":$keys" ] || log "run $run $srv_name: DBSIZE $reply after the restart, not $keys"
    stop_server
  fi
  rm -f "$d/dump.rdb"
}

# ---- 3: AOF everysec SET throughput ---------------------------------------------------------------------
aof_part() {
  local run=$1 i=$2 d=$work/run$1-${names[$2]}-aof p n o c0 c1 rc rps
  start_server "$i" "$d" aof --appendonly yes --appendfsync everysec || return 0
  for p in 1 16; do
    n=$requests; [ "$p" = 16 ] && n=$requests16
    o=$d/set-p$p.csv
    c0=$(cpu_ticks)
    timeout "$tmo" redis-benchmark -h 127.0.0.1 -p "$srv_port" -c "$clients" -P "$p" -n "$n" -r "$randkeys" \
      -t set --csv > "$o" 2> "$o.err" {nap_fd}>&- {ctl_fd}>&- &
    bench_pid=$!
    wait "$bench_pid"; rc=$?; bench_pid=""
    c1=$(cpu_ticks)
    rps=$(csv_col "$o" 2)
    if [ $rc -ne 0 ] || [ -z "$rps" ]; then
      log "run $run $srv_name AOF -P $p FAILED rc=$rc: $(tail -c 300 "$o.err" | tr '\n' ' ')"; continue
    fi
    rec "$run" "aof_p${p}_rps" "$rps"
    rec "$run" "aof_p${p}_us_per_req" "$(calc "1e6 * ($c1 - $c0) / $hz / $n")"
  done
  info_val persistence aof_rewrites && rec "$run" aof_rewrites "$val"
  stop_server
  rm -rf "$d/appendonlydir" "$d"/*.aof "$d"/*.rdb
}

# ---- header, key file, runs ----------------------------------------------------------------------------
{
  echo "bench-persist $(date -u +%Y-%m-%dT%H:%M:%SZ): valkey-node $("$bin" --version) vs $("$redis" --version | head -1)"
  echo "cpu: $(lscpu 2>/dev/null | awk -F: '/^Model name/{gsub(/^ +/,"",$2);print $2}') x $(nproc) cores," \
    "load: $(cut -d' ' -f1-3 /proc/loadavg); disk: $(df -hP "$work" | awk 'NR==2{print $1}')"
  echo "client: $(redis-benchmark --version | head -1), plain TCP, -c $clients; keys $keys," \
    "GET baseline -n $lat_requests, AOF SET -r $randkeys -n $requests (-P 1) / $requests16 (-P 16);" \
    "runs $runs$([ "$quick" = 1 ] && echo ' (QUICK)'); scratch $work"
} | tee "$out"
log "writing $keys SET commands to $keyfile"
awk -v n="$keys" 'BEGIN{for(i=0;i<n;i++) printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$16\r\nvalue-%010d\r\n", i, i}' \
  > "$keyfile" || die "writing $keyfile failed"
for run in $(seq "$runs"); do
  order=(0 1); [ $((run % 2)) = 0 ] && order=(1 0)
  for i in "${order[@]}"; do
    rdb_part "$run" "$i"
    aof_part "$run" "$i"
  done
done
rm -f "$keyfile"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"

# ---- tables: medians over runs ---------------------------------------------------------------------------
# metric|label|printf format ("pct" = a share, no ratio), one table per group; "#" starts a new table
metrics="#RDB save of $keys keys (BGSAVE time: from sending BGSAVE to rdb_bgsave_in_progress:0)
pipe_load_s|load keys with redis-cli --pipe (s)|%.3f
rdb_mb|RDB file size (MiB)|%.1f
bgsave_idle_s|BGSAVE, no clients (s)|%.3f
bgsave_idle_log_s|  by the server's log (s)|%.3f
bgsave_cpu_s|  server CPU during it (s)|%.2f
bgsave_loaded_s|BGSAVE under GET load (s)|%.3f
bgsave_loaded_log_s|  by the server's log (s)|%.3f
get_base_rps|GET -P 1 req/s, no save|%.0f
get_save_rps|GET -P 1 req/s, during BGSAVE|%.0f
get_base_p50_ms|GET p50 ms, no save|%.3f
get_save_p50_ms|GET p50 ms, during BGSAVE|%.3f
get_base_p99_ms|GET p99 ms, no save|%.3f
get_save_p99_ms|GET p99 ms, during BGSAVE|%.3f
get_base_max_ms|GET max ms, no save|%.3f
get_save_max_ms|GET max ms, during BGSAVE|%.3f
get_save_requests|  GETs sent during BGSAVE|%.0f
bench_in_save_pct|  share of that benchmark in the save|pct
save_covered_pct|  share of the save it covered|pct
#Start-up load of that RDB
save_s|SAVE (s)|%.3f
startup_to_pong_s|process start to first PONG (s)|%.3f
log_loaded_s|\"DB loaded from disk\" in the log (s)|%.3f
#AOF appendfsync everysec, SET -r $randkeys -c $clients
aof_p1_rps|-P 1 req/s|%.0f
aof_p1_us_per_req|-P 1 server CPU us/req|%.3f
aof_p16_rps|-P 16 req/s|%.0f
aof_p16_us_per_req|-P 16 server CPU us/req|%.3f
aof_rewrites|automatic AOF rewrites|%.0f"
awk -F, -v metrics="$metrics" '
  function med(str,  a,n,i,j,t){n=split(str,a," "); if(n==0) return "";
    for(i=2;i<=n;i++){t=a[i];for(j=i-1;j>=1&&a[j]+0>t+0;j--)a[j+1]=a[j];a[j+1]=t}
    return (n%2)?a[(n+1)/2]:(a[n/2]+a[n/2+1])/2}
  function fmt(v, f){ if(v=="") return "-"; if(f=="pct") return sprintf("%.0f%%", v); return sprintf(f, v) }
  NR>1 { v[$2,$3]=v[$2,$3]" "$4 }
  END { n=split(metrics, ms, "\n")
    for(i=1;i<=n;i++){
      if(substr(ms[i],1,1)=="#"){
        printf "\n%s\n| %-40s | %11s | %11s | %7s |\n", substr(ms[i],2), "", "node", "redis", "ratio"
        print "|------------------------------------------|-------------|-------------|---------|"; continue }
      split(ms[i], m, "|"); a=med(v["node",m[1]]); b=med(v["redis",m[1]])
      r = (a==""||b==""||b+0==0||m[3]=="pct") ? "-" : sprintf("%.2fx", a/b)
      printf "| %-40s | %11s | %11s | %7s |\n", m[2], fmt(a,m[3]), fmt(b,m[3]), r } }' "$raw" | tee -a "$out"
echo "bench-persist: saved $out"
