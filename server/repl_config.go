package server

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/valkey-node/valkey-node/server/config"
)

// replSettings are the replication directives.
type replSettings struct {
	// ReplicaOf is replicaof/slaveof: "host port", or "" for a primary.
	ReplicaOf              string
	MasterAuth, MasterUser string
	ReadOnly               bool  // replica-read-only
	ServeStaleData         bool  // replica-serve-stale-data
	Timeout                int64 // repl-timeout, seconds
	PingPeriod             int64 // repl-ping-replica-period, seconds
	BacklogSize            int64 // repl-backlog-size
	BacklogTTL             int64 // repl-backlog-ttl, seconds
	DisklessSync           bool  // repl-diskless-sync
	DisklessDelay          int64 // repl-diskless-sync-delay, seconds
	DisklessMaxReplicas    int64 // repl-diskless-sync-max-replicas
	DisklessLoad           string
	DisableTCPNoDelay      bool  // repl-disable-tcp-nodelay
	MinReplicasToWrite     int64 // min-replicas-to-write
	MinReplicasMaxLag      int64 // min-replicas-max-lag, seconds
	AnnounceIP             string
	AnnouncePort           int64
	Priority               int64 // replica-priority
	Announced              bool  // replica-announced
	LazyFlush              bool  // replica-lazy-flush
}

// replicaOfValue is `replicaof <host> <port>`; "no one" (any case) or "" clears it.
type replicaOfValue struct{ p *string }

func (v replicaOfValue) Set(args []string) error {
	if len(args) == 1 {
		args = strings.Fields(args[0])
	}
	switch {
	case len(args) == 0:
		*v.p = ""
		return nil
	case len(args) == 2 && strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one"):
		*v.p = ""
		return nil
	case len(args) != 2:
		return errors.New("wrong number of arguments")
	}
	port, err := strconv.Atoi(args[1])
	if err != nil || port < 0 || port > 65535 {
		return errors.New("Invalid master port")
	}
	*v.p = args[0] + " " + args[1]
	return nil
}

func (v replicaOfValue) Get() string { return *v.p }

func (s *Server) registerReplDirectives() {
	c := &s.cfg.Repl
	i64 := func(p *int64, lo, hi int64) config.Value { return config.Int{P: p, Min: lo, Max: hi} }
	apply := &config.Apply{Name: "replication", Fn: s.applyReplConfig}
	s.reg.Add(
		&config.Directive{Name: "replicaof", Aliases: []string{"slaveof"}, Default: "", Flags: config.Multi | config.Immutable,
			Value: replicaOfValue{&c.ReplicaOf}},
		&config.Directive{Name: "masterauth", Aliases: []string{"primaryauth"}, Default: "", Flags: config.Sensitive, Value: config.String{P: &c.MasterAuth}},
		&config.Directive{Name: "masteruser", Aliases: []string{"primaryuser"}, Default: "", Value: config.String{P: &c.MasterUser}},
		&config.Directive{Name: "replica-read-only", Aliases: []string{"slave-read-only"}, Default: "yes", Value: config.Bool{P: &c.ReadOnly}},
		&config.Directive{Name: "replica-serve-stale-data", Aliases: []string{"slave-serve-stale-data"}, Default: "yes", Value: config.Bool{P: &c.ServeStaleData}},
		&config.Directive{Name: "repl-timeout", Default: "60", Value: i64(&c.Timeout, 1, math.MaxInt32), Apply: apply},
		&config.Directive{Name: "repl-ping-replica-period", Aliases: []string{"repl-ping-slave-period"}, Default: "10", Value: i64(&c.PingPeriod, 1, math.MaxInt32), Apply: apply},
		&config.Directive{Name: "repl-backlog-size", Default: "1048576", Value: config.Memory{P: &c.BacklogSize, Min: 16 * 1024, Max: math.MaxInt64}, Apply: apply},
		&config.Directive{Name: "repl-backlog-ttl", Default: "3600", Value: i64(&c.BacklogTTL, 0, math.MaxInt32), Apply: apply},
		&config.Directive{Name: "repl-diskless-sync", Default: "yes", Value: config.Bool{P: &c.DisklessSync}, Apply: apply},
		&config.Directive{Name: "repl-diskless-sync-delay", Default: "5", Value: i64(&c.DisklessDelay, 0, math.MaxInt32), Apply: apply},
		&config.Directive{Name: "repl-diskless-sync-max-replicas", Default: "0", Value: i64(&c.DisklessMaxReplicas, 0, math.MaxInt32), Apply: apply},
		&config.Directive{Name: "repl-diskless-load", Default: "disabled", Value: config.Enum{P: &c.DisklessLoad, Options: []string{"disabled", "on-empty-db", "swapdb"}}},
		&config.Directive{Name: "repl-disable-tcp-nodelay", Default: "no", Value: config.Bool{P: &c.DisableTCPNoDelay}},
		&config.Directive{Name: "min-replicas-to-write", Aliases: []string{"min-slaves-to-write"}, Default: "0", Value: i64(&c.MinReplicasToWrite, 0, math.MaxInt32)},
		&config.Directive{Name: "min-replicas-max-lag", Aliases: []string{"min-slaves-max-lag"}, Default: "10", Value: i64(&c.MinReplicasMaxLag, 0, math.MaxInt32)},
		&config.Directive{Name: "replica-announce-ip", Aliases: []string{"slave-announce-ip"}, Default: "", Value: config.String{P: &c.AnnounceIP}},
		&config.Directive{Name: "replica-announce-port", Aliases: []string{"slave-announce-port"}, Default: "0", Value: i64(&c.AnnouncePort, 0, 65535)},
		&config.Directive{Name: "replica-priority", Aliases: []string{"slave-priority"}, Default: "100", Value: i64(&c.Priority, 0, math.MaxInt32)},
		&config.Directive{Name: "replica-announced", Default: "yes", Value: config.Bool{P: &c.Announced}},
		&config.Directive{Name: "replica-lazy-flush", Aliases: []string{"slave-lazy-flush"}, Default: "no", Value: config.Bool{P: &c.LazyFlush}},
	)
}
