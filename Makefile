# valkey-node developer tasks. `make help` lists them.

GO          ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
BIN         := bin/valkey-node
# the whole suite runs in a few minutes on 2 cores; the timeout only stops a hung run
TEST_TIMEOUT ?= 15m
TESTFLAGS   ?=
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# staticcheck's defaults, less ST1005: error texts are Valkey's, capitalised, byte for byte
STATICCHECK_CHECKS ?= inherit,-ST1005
FUZZTIME    ?= 30s

# make run
PORT        ?= 6379
TLS_PORT    ?= 6380
CERTS       ?= .dev-certs
ARGS        ?=

# make bench (see scripts/bench.sh)
ANCHOR      ?= ../shared/bench/anchor-bench.sh
RUNS        ?= 3
MODES       ?= plain,tls,mtls
CASES       ?= p1,p16,churn
BENCH_ARGS  ?=
# make bench-types (see scripts/bench-types.sh): requests per test
BENCH_TYPES_REQUESTS ?= 200000

.PHONY: all help build run test lint fmt-check fuzz bench bench-types bench-persist bench-repl replicas cluster sentinels readme clean

all: build

help:
	@echo "make build    build $(BIN)"
	@echo "make run      build, make development certificates in $(CERTS)/ if needed, start a node with"
	@echo "              plain port $(PORT) and TLS port $(TLS_PORT) (override: PORT=, TLS_PORT=, ARGS=)"
	@echo "make test     unit, end-to-end and interop tests with -race"
	@echo "make lint     gofmt check, go vet, staticcheck ($(STATICCHECK))"
	@echo "make fuzz     run each fuzz target for FUZZTIME ($(FUZZTIME))"
	@echo "make bench    anchor benchmark: valkey-node vs redis-server (RUNS=, MODES=, CASES=, BENCH_ARGS=)"
	@echo "make bench-types  data type tests (LPUSH LPOP SADD HSET ZADD LRANGE_100 MSET, SET/GET) over TLS -P 16,"
	@echo "              valkey-node vs redis-server (RUNS=, BENCH_TYPES_REQUESTS=)"
	@echo "make bench-persist  BGSAVE time and GET latency during it, RDB load at start-up, AOF everysec SET,"
	@echo "              valkey-node vs redis-server (QUICK=1, RUNS=, KEYS=, REQUESTS=; scripts/bench-persist.sh)"
	@echo "make bench-repl  full sync over TLS of KEYS keys (1000000), primary to replica, seconds and MB/s,"
	@echo "              valkey-node vs redis-server (QUICK=1, RUNS=, KEYS=; scripts/bench-repl.sh)"
	@echo "make replicas start a TLS primary and two TLS replicas on loopback in the background, print the"
	@echo "              redis-cli lines to reach them (REPL_PORT=7000, REPL_DIR=bin/replicas, CERTS=);"
	@echo "              scripts/replicas.sh status|stop|clean to see, stop or remove them"
	@echo "make cluster  start NODES (6) TLS cluster nodes on loopback in the background and make them a cluster with"
	@echo "              redis-cli --cluster create, REPLICAS (1) replicas per primary; prints the redis-cli -c line"
	@echo "              (CLUSTER_PORT=30000: nodes on +1..+NODES, CLUSTER_DIR=bin/cluster, NO_TLS=1, CERTS=);"
	@echo "              scripts/create-cluster status|watch|stop|clean to see, follow, stop or remove them"
	@echo "make sentinels  start a TLS primary, two TLS replicas and three TLS sentinels watching them on loopback"
	@echo "              in the background, print the redis-cli lines (TRIO_PORT=7200, SENTINEL_PORT=27200,"
	@echo "              TRIO_DIR=bin/sentinel-trio, CERTS=); scripts/sentinel-trio failover|status|stop|clean"
	@echo "make readme   regenerate the directive and command tables in README.md"
	@echo "make clean    remove bin/ (builds and benchmark output)"

build:
	$(GO) build -o $(BIN) ./cmd/valkey-node

run: build
	@PORT=$(PORT) TLS_PORT=$(TLS_PORT) CERTS=$(CERTS) BIN=$(BIN) scripts/dev-node.sh $(ARGS)

test:
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $(TESTFLAGS) ./...

lint: fmt-check
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) -checks '$(STATICCHECK_CHECKS)' ./...

fmt-check:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './bin/*' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME) ./server/resp
	$(GO) test -run '^$$' -fuzz '^FuzzSplit$$' -fuzztime $(FUZZTIME) ./server/textargs
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./server/config
	$(GO) test -run '^$$' -fuzz '^FuzzMatch$$' -fuzztime $(FUZZTIME) ./server/glob
	$(GO) test -run '^$$' -fuzz '^FuzzZRangeArgs$$' -fuzztime $(FUZZTIME) ./server
	$(GO) test -run '^$$' -fuzz '^FuzzZScoreParse$$' -fuzztime $(FUZZTIME) ./server
	$(GO) test -run '^$$' -fuzz '^FuzzBitfieldArgs$$' -fuzztime $(FUZZTIME) ./server
	$(GO) test -run '^$$' -fuzz '^FuzzSortArgs$$' -fuzztime $(FUZZTIME) ./server
	$(GO) test -run '^$$' -fuzz '^FuzzRestorePayload$$' -fuzztime $(FUZZTIME) ./server
	$(GO) test -run '^$$' -fuzz '^FuzzDecoder$$' -fuzztime $(FUZZTIME) ./server/rdb
	$(GO) test -run '^$$' -fuzz '^FuzzParseDumpPayload$$' -fuzztime $(FUZZTIME) ./server/rdb
	$(GO) test -run '^$$' -fuzz '^FuzzLZFDecompress$$' -fuzztime $(FUZZTIME) ./server/rdb/lzf
	$(GO) test -run '^$$' -fuzz '^FuzzLZFRoundTrip$$' -fuzztime $(FUZZTIME) ./server/rdb/lzf
	$(GO) test -run '^$$' -fuzz '^FuzzListpackIterate$$' -fuzztime $(FUZZTIME) ./server/rdb/blobs
	$(GO) test -run '^$$' -fuzz '^FuzzZiplistIterate$$' -fuzztime $(FUZZTIME) ./server/rdb/blobs
	$(GO) test -run '^$$' -fuzz '^FuzzIntsetIterate$$' -fuzztime $(FUZZTIME) ./server/rdb/blobs
	$(GO) test -run '^$$' -fuzz '^FuzzZipmapIterate$$' -fuzztime $(FUZZTIME) ./server/rdb/blobs
	$(GO) test -run '^$$' -fuzz '^FuzzCmdReader$$' -fuzztime $(FUZZTIME) ./server/aof
	$(GO) test -run '^$$' -fuzz '^FuzzReadReply$$' -fuzztime $(FUZZTIME) ./sentinel
	$(GO) test -run '^$$' -fuzz '^FuzzParseHello$$' -fuzztime $(FUZZTIME) ./sentinel
	$(GO) test -run '^$$' -fuzz '^FuzzParseInfo$$' -fuzztime $(FUZZTIME) ./sentinel

bench: build
	BIN=$(BIN) ANCHOR=$(ANCHOR) RUNS=$(RUNS) MODES=$(MODES) CASES=$(CASES) scripts/bench.sh $(BENCH_ARGS)

bench-types: build
	BIN=$(BIN) GENCERTS=$(dir $(ANCHOR))gen-certs.sh RUNS=$(RUNS) REQUESTS=$(BENCH_TYPES_REQUESTS) scripts/bench-types.sh

# RUNS, KEYS, QUICK... reach the script only when given on the command line or in the environment, so that
# QUICK=1 keeps its own defaults
bench-persist: build
	BIN=$(BIN) scripts/bench-persist.sh

# RUNS, KEYS, QUICK... as for bench-persist
bench-repl: build
	BIN=$(BIN) scripts/bench-repl.sh

# REPL_PORT and REPL_DIR reach the script from the command line or the environment
replicas: build
	@BIN=$(BIN) CERTS=$(CERTS) scripts/replicas.sh start

# NODES, REPLICAS, CLUSTER_PORT, CLUSTER_DIR reach the script from the command line or the environment
cluster: build
	@BIN=$(BIN) CERTS=$(CERTS) scripts/create-cluster $(if $(NO_TLS),--no-tls) start
	@BIN=$(BIN) CERTS=$(CERTS) scripts/create-cluster create

# TRIO_PORT, SENTINEL_PORT, TRIO_DIR, MASTER_NAME... reach the script from the command line or the environment
sentinels: build
	@BIN=$(BIN) CERTS=$(CERTS) scripts/sentinel-trio start

readme:
	$(GO) test -count=1 -run '^TestREADMETables$$' ./cmd/valkey-node -args -update-readme

clean:
	rm -rf bin
