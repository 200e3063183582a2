package server

import (
	"errors"
	"math"
	"strconv"

	"github.com/valkey-node/valkey-node/server/config"
)

// clusterSettings are the cluster directives (spec §4.1).
type clusterSettings struct {
	Enabled               bool
	ConfigFile            string
	NodeTimeout           int64 // ms
	Port                  int64 // cluster-port: the bus port, 0 = (tls-cluster ? tls-port : port) + 10000
	AnnounceIP            string
	AnnounceHostname      string
	AnnounceHumanNodename string
	AnnouncePort          int64
	AnnounceTLSPort       int64
	AnnounceBusPort       int64
	RequireFullCoverage   bool
	ReplicaValidityFactor int64
	AllowReadsWhenDown    bool
	ReplicaNoFailover     bool
	MigrationBarrier      int64
	AllowReplicaMigration bool
	PreferredEndpointType string
	AllowPubsubshardDown  bool
	LinkSendbufLimit      int64
}

func (s *Server) registerClusterDirectives() {
	c := &s.cfg.Cluster
	i64 := func(p *int64, lo, hi int64) config.Value { return config.Int{P: p, Min: lo, Max: hi} }
	s.reg.Add(
		&config.Directive{Name: "cluster-enabled", Default: "no", Flags: config.Immutable, Value: config.Bool{P: &c.Enabled}},
		&config.Directive{Name: "cluster-config-file", Default: "nodes.conf", Flags: config.Immutable, Value: config.String{P: &c.ConfigFile}},
		&config.Directive{Name: "cluster-node-timeout", Default: "15000", Value: i64(&c.NodeTimeout, 1, math.MaxInt32),
			Apply: &config.Apply{Name: "cluster", Fn: s.applyClusterConfig}},
		&config.Directive{Name: "cluster-port", Default: "0", Flags: config.Immutable, Value: i64(&c.Port, 0, 65535)},
		&config.Directive{Name: "cluster-announce-ip", Default: "", Value: config.String{P: &c.AnnounceIP}},
		&config.Directive{Name: "cluster-announce-hostname", Default: "", Value: config.String{P: &c.AnnounceHostname}},
		&config.Directive{Name: "cluster-announce-human-nodename", Default: "", Value: config.String{P: &c.AnnounceHumanNodename}},
		&config.Directive{Name: "cluster-announce-port", Default: "0", Value: i64(&c.AnnouncePort, 0, 65535)},
		&config.Directive{Name: "cluster-announce-tls-port", Default: "0", Value: i64(&c.AnnounceTLSPort, 0, 65535)},
		&config.Directive{Name: "cluster-announce-bus-port", Default: "0", Value: i64(&c.AnnounceBusPort, 0, 65535)},
		&config.Directive{Name: "cluster-require-full-coverage", Default: "yes", Value: config.Bool{P: &c.RequireFullCoverage},
			Apply: &config.Apply{Name: "cluster", Fn: s.applyClusterConfig}},
		&config.Directive{Name: "cluster-allow-reads-when-down", Default: "no", Value: config.Bool{P: &c.AllowReadsWhenDown}},
		&config.Directive{Name: "cluster-allow-pubsubshard-when-down", Default: "yes", Value: config.Bool{P: &c.AllowPubsubshardDown}},
		&config.Directive{Name: "cluster-preferred-endpoint-type", Default: "ip",
			Value: config.Enum{P: &c.PreferredEndpointType, Options: []string{"ip", "hostname", "unknown-endpoint"}}},
		&config.Directive{Name: "cluster-replica-validity-factor", Aliases: []string{"cluster-slave-validity-factor"}, Default: "10",
			Flags: config.Immutable, Value: i64(&c.ReplicaValidityFactor, 0, math.MaxInt32)},
		&config.Directive{Name: "cluster-replica-no-failover", Aliases: []string{"cluster-slave-no-failover"}, Default: "no",
			Flags: config.Immutable, Value: config.Bool{P: &c.ReplicaNoFailover}},
		&config.Directive{Name: "cluster-migration-barrier", Default: "1", Value: i64(&c.MigrationBarrier, 0, math.MaxInt32),
			Apply: &config.Apply{Name: "cluster", Fn: s.applyClusterConfig}},
		&config.Directive{Name: "cluster-allow-replica-migration", Default: "yes", Value: config.Bool{P: &c.AllowReplicaMigration},
			Apply: &config.Apply{Name: "cluster", Fn: s.applyClusterConfig}},
		&config.Directive{Name: "cluster-link-sendbuf-limit", Default: "0", Value: onlyInt("cluster-link-sendbuf-limit", &c.LinkSendbufLimit, 0)},
	)
}

// onlyInt accepts one value of an integer directive (its default) and refuses others as not supported yet.
func onlyInt(name string, p *int64, only int64) config.Value {
	return config.Func{
		SetFn: func(args []string) error {
			if len(args) != 1 {
				return errors.New("wrong number of arguments")
			}
			var v int64
			for _, ch := range args[0] {
				if ch < '0' || ch > '9' {
					return errors.New("argument couldn't be parsed into an integer")
				}
				v = v*10 + int64(ch-'0')
			}
			if v != only {
				return errors.New("'" + name + " " + args[0] + "' is not supported yet by valkey-node (only '" + name + " " + strconv.FormatInt(only, 10) + "' is accepted)")
			}
			*p = v
			return nil
		},
		GetFn: func() string { return strconv.FormatInt(*p, 10) },
	}
}
