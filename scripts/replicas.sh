#!/usr/bin/env bash
# replicas.sh - a local replication set for trying replication by hand: one TLS primary and two TLS
# replicas of it on loopback (what `make replicas` starts).
#
# Usage: scripts/replicas.sh start|status|stop|clean
#   start   starts the three nodes in the background (unless they already run), prints their ports and
#           the redis-cli line to reach each, and waits until both replicas report master_link_status:up
#   status  the ROLE of each node (or "not running")
#   stop    SHUTDOWN NOSAVE to each node, waits for it to exit, removes the pid files
#   clean   stop, then remove the working directory (data and logs; the certificates stay)
#
# Every node is started as
#   BIN --bind 127.0.0.1 --port 0 --tls-port P --tls-cert-file $CERTS/server.crt
#       --tls-key-file $CERTS/server.key --tls-ca-cert-file $CERTS/ca.crt --tls-replication yes
#       --dir $REPL_DIR/NAME [--replicaof "127.0.0.1 PRIMARY_PORT"]
# so all traffic, the replication links included, is TLS. tls-auth-clients keeps its default (yes): clients
# present client.crt, and a replica presents server.crt, which gen-certs makes usable as a client
# certificate too. The primary listens on REPL_PORT, the replicas on the two ports after it. Everything else
# keeps its default (so the nodes save RDB snapshots into their own dirs as a Valkey would). The
# certificates are made with `valkey-node gen-certs $CERTS` when they are missing or no longer valid (the
# same directory `make run` uses, so an existing one is reused).
#
# Files in $REPL_DIR: NAME.pid (written here at start, removed by stop), NAME.log (the node's output),
# NAME/ (its --dir).
#
# Environment (all optional):
#   BIN       valkey-node binary                          [bin/valkey-node]
#   CERTS     certificate directory                       [.dev-certs]
#   REPL_PORT TLS port of the primary; replicas use +1,+2 [7000]
#   REPL_DIR  working directory                           [bin/replicas]
#   TIMEOUT   seconds to wait for a node or a link        [60]
set -euo pipefail

bin=${BIN:-bin/valkey-node}
certs=${CERTS:-.dev-certs}
base=${REPL_PORT:-7000}
work=${REPL_DIR:-bin/replicas}
tmo=${TIMEOUT:-60}
names=(primary replica1 replica2)

die() { echo "replicas: $*" >&2; exit 1; }
usage() { echo "usage: scripts/replicas.sh start|status|stop|clean" >&2; exit 2; }
[ $# -eq 1 ] || usage
for v in base tmo; do [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"; done
[ "$base" -le 65533 ] || die "REPL_PORT must leave room for two more ports below 65536"
command -v redis-cli > /dev/null || die "redis-cli not found: install the Debian package redis-tools"

command -v realpath > /dev/null || die "realpath (coreutils) not found"
work_abs=$(realpath -m -- "$work")

port_of() { echo $((base + $1)); } # port_of IDX
cli() { # cli PORT ARG...: one command over TLS with the client certificate
  timeout 10 redis-cli --tls --cert "$certs/client.crt" --key "$certs/client.key" --cacert "$certs/ca.crt" \
    -h 127.0.0.1 -p "$1" "${@:2}"
}
# pid_of NAME: the pid in NAME.pid if that process is alive and is this node (its command line names its
# --dir, so a pid reused by another process after a crash is not taken for it); fails otherwise
pid_of() {
  local f=$work_abs/$1.pid pid
  [ -f "$f" ] || return 1
  pid=$(< "$f")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2> /dev/null || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2> /dev/null | grep -qF -- "--dir $work_abs/$1 " || return 1
  echo "$pid"
}
connect_lines() {
  local i
  for i in 0 1 2; do
    printf '  %-8s port %s: redis-cli --tls --cert %s --key %s --cacert %s -p %s\n' "${names[$i]}" \
      "$(port_of "$i")" "$certs/client.crt" "$certs/client.key" "$certs/ca.crt" "$(port_of "$i")"
  done
}
# link_up PORT: the replica on PORT reports master_link_status:up
link_up() {
  local s
  s=$(cli "$1" INFO replication 2> /dev/null) || return 1
  s=${s//$'\r'/}
  [[ $s == *$'\nmaster_link_status:up\n'* ]]
}

# stop_node IDX: SHUTDOWN NOSAVE, wait for the exit (TERM, then KILL, if it does not go), pid file away
stop_node() {
  local name=${names[$1]} pid t
  if pid=$(pid_of "$name"); then
    cli "$(port_of "$1")" SHUTDOWN NOSAVE > /dev/null 2>&1 || true
    for t in $(seq $((tmo * 10))); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2> /dev/null; then
      echo "replicas: $name (pid $pid) did not exit after SHUTDOWN NOSAVE; sending TERM" >&2
      kill -TERM "$pid" 2> /dev/null || true
      for t in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2> /dev/null || true
    fi
    echo "replicas: $name (pid $pid, port $(port_of "$1")) stopped"
  fi
  rm -f "$work_abs/$name.pid"
}
stop_all() { stop_node 2; stop_node 1; stop_node 0; }

# start_node IDX [args]: starts the node in its own session, detached, and waits for PONG
start_node() {
  local i=$1 name=${names[$1]} port pid t
  shift
  port=$(port_of "$i")
  if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then
    die "port $port (for $name) is taken: stop what uses it or set REPL_PORT="
  fi
  mkdir -p "$work_abs/$name"
  local -a cmd=("$bin" --bind 127.0.0.1 --port 0 --tls-port "$port" --tls-cert-file "$certs_abs/server.crt"
    --tls-key-file "$certs_abs/server.key" --tls-ca-cert-file "$certs_abs/ca.crt" --tls-replication yes
    --dir "$work_abs/$name" "$@")
  printf '%q ' "${cmd[@]}" > "$work_abs/$name.command"
  setsid "${cmd[@]}" > "$work_abs/$name.log" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" > "$work_abs/$name.pid"
  for t in $(seq $((tmo * 10))); do
    [ "$(cli "$port" PING 2> /dev/null)" = PONG ] && return 0
    kill -0 "$pid" 2> /dev/null || { tail -20 "$work_abs/$name.log" >&2; rm -f "$work_abs/$name.pid"; return 1; }
    sleep 0.1
  done
  tail -20 "$work_abs/$name.log" >&2
  echo "replicas: $name: no PONG on port $port after ${tmo}s" >&2
  return 1
}

do_start() {
  [ -x "$bin" ] || die "$bin is not built (run: make build)"
  bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
  local i running=0
  for i in 0 1 2; do pid_of "${names[$i]}" > /dev/null && running=$((running + 1)); done
  if [ "$running" = 3 ]; then
    echo "replicas: already running (scripts/replicas.sh stop to stop them). Connect with:"
    connect_lines
    do_status
    return 0
  fi
  [ "$running" = 0 ] || { echo "replicas: only $running of 3 nodes run; stopping them to start afresh"; stop_all; }

  if ! "$bin" check-tls --tls-port "$base" --tls-cert-file "$certs/server.crt" --tls-key-file "$certs/server.key" \
    --tls-ca-cert-file "$certs/ca.crt" > /dev/null 2>&1; then
    echo "replicas: making development certificates in $certs/"
    "$bin" gen-certs "$certs" > /dev/null || die "gen-certs $certs failed"
  fi
  certs_abs=$(cd "$certs" && pwd)

  # a node that fails leaves nothing of this start behind; its log stays
  trap 'trap - EXIT; echo "replicas: start failed; logs in $work/" >&2; stop_all > /dev/null' EXIT
  start_node 0
  start_node 1 --replicaof "127.0.0.1 $(port_of 0)"
  start_node 2 --replicaof "127.0.0.1 $(port_of 0)"
  echo "replicas: primary on TLS port $(port_of 0), replicas on $(port_of 1) and $(port_of 2), loopback only,"
  echo "client certificate required; data and logs in $work/. Connect with:"
  connect_lines
  echo "replicas: waiting for both replication links (the primary first waits repl-diskless-sync-delay, 5 s)"
  local t up
  for t in $(seq $((tmo * 5))); do
    up=0
    for i in 1 2; do link_up "$(port_of "$i")" && up=$((up + 1)); done
    [ "$up" = 2 ] && break
    sleep 0.2
  done
  if [ "$up" != 2 ]; then
    for i in 1 2; do tail -5 "$work_abs/${names[$i]}.log" >&2; done
    die "the replicas' links are not up after ${tmo}s"
  fi
  trap - EXIT
  echo "replicas: both replicas report master_link_status:up. Stop with: scripts/replicas.sh stop"
}

# do_status: one line per node: its ROLE reply, flattened
do_status() {
  local i name pid role
  for i in 0 1 2; do
    name=${names[$i]}
    if ! pid=$(pid_of "$name"); then
      printf '%-8s port %s: not running\n' "$name" "$(port_of "$i")"
      continue
    fi
    role=$(cli "$(port_of "$i")" ROLE 2>&1 | tr -d '\r' | awk '
      NR == 1 { r = $0 } { a[NR] = $0 }
      END {
        if (r == "master") {
          s = "master, offset " a[2] ", replicas:"
          if (NR < 3) s = s " none"
          for (j = 3; j + 2 <= NR; j += 3) s = s " " a[j] ":" a[j+1] "@" a[j+2]
        } else if (r == "slave") s = "replica of " a[2] ":" a[3] ", link " a[4] ", offset " a[5]
        else { s = r; for (j = 2; j <= NR; j++) s = s " " a[j] }
        print s }' || true)
    printf '%-8s port %s pid %s: %s\n' "$name" "$(port_of "$i")" "$pid" "$role"
  done
}

case $1 in
  start) do_start ;;
  status) do_status ;;
  stop) stop_all ;;
  clean)
    stop_all
    rm -rf "$work_abs"
    echo "replicas: removed $work/"
    ;;
  *) usage ;;
esac
