#!/usr/bin/env bash
# dev-node.sh - start one development node with TLS on (what `make run` does).
#
# Usage: scripts/dev-node.sh [--directive value ...]
#
# The node runs on built-in defaults (valkey.conf defaults: bind "* -::*", protected-mode yes,
# tls-auth-clients yes) plus a plain port and a TLS port with development certificates:
#   --port $PORT (6379) --tls-port $TLS_PORT (6380)
#   --tls-cert-file $CERTS/server.crt --tls-key-file $CERTS/server.key --tls-ca-cert-file $CERTS/ca.crt
# Nothing else is changed, so clients must present a certificate on the TLS port (tls-auth-clients yes),
# exactly as a Valkey user following the TLS quick start would expect. Extra arguments are passed on and,
# coming last, win (e.g. `make run ARGS="--tls-auth-clients optional"`).
#
# The certificates are made with `valkey-node gen-certs $CERTS` when they are missing or no longer valid
# (check-tls fails, e.g. after a year). The node stays in the foreground; Ctrl-C stops it.
#
# Environment: BIN (bin/valkey-node), CERTS (.dev-certs), PORT (6379), TLS_PORT (6380).
set -euo pipefail

bin=${BIN:-bin/valkey-node}
certs=${CERTS:-.dev-certs}
port=${PORT:-6379}
tls_port=${TLS_PORT:-6380}

[ -x "$bin" ] || { echo "dev-node: $bin is not built (run: make build)" >&2; exit 1; }

tls_args=(--tls-cert-file "$certs/server.crt" --tls-key-file "$certs/server.key" --tls-ca-cert-file "$certs/ca.crt")
if ! "$bin" check-tls --tls-port "$tls_port" "${tls_args[@]}" > /dev/null 2>&1; then
  echo "dev-node: making development certificates in $certs/"
  "$bin" gen-certs "$certs" > /dev/null
fi

cat <<MSG
dev-node: starting valkey-node on port $port (plain) and $tls_port (TLS, client certificate required).
Connect with:
  redis-cli --tls --cert $certs/client.crt --key $certs/client.key --cacert $certs/ca.crt -p $tls_port
  redis-cli -p $port
MSG
exec "$bin" --port "$port" --tls-port "$tls_port" "${tls_args[@]}" "$@"
