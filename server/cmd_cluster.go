package server

import (
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/valkey-node/valkey-node/clusterbus"
)

// CLUSTER and the cluster-mode connection commands (ASKING, READONLY, READWRITE). The state and its rules
// live in package clusterbus; these handlers parse, call it under its lock (Cluster.Do saves nodes.conf
// and tells the other nodes about changes) and write the replies.

const errClusterDisabled = "ERR This instance has cluster support disabled"

// replyClusterErr writes err as the client sees it: a clusterbus.ReplyError is a complete error line.
func replyClusterErr(c *Client, err error) {
	var re clusterbus.ReplyError
	if errors.As(err, &re) {
		c.Err(string(re))
		return
	}
	c.Err("ERR " + err.Error())
}

func clusterCommand(c *Client, args [][]byte) {
	s := c.srv
	sub := strings.ToLower(string(args[1]))
	if sub == "help" {
		clusterHelp(c)
		return
	}
	if s.cl == nil {
		c.Err(errClusterDisabled)
		return
	}
	v := s.clusterView(c)
	w := c.W()
	rest := args[2:]
	need := func(n int) bool {
		if len(rest) != n {
			c.Err("ERR wrong number of arguments for 'cluster|" + sub + "' command")
			return false
		}
		return true
	}
	do := func(fn func(st *clusterbus.State) error) {
		if err := s.cl.Do(fn); err != nil {
			replyClusterErr(c, err)
			return
		}
		w.OK()
	}
	dbHasKeys := s.dbs[0].Len() > 0
	hasKeys := func(slot int) bool { return s.countKeysInSlot(slot) > 0 }
	switch sub {
	case "nodes":
		if !need(0) {
			return
		}
		var text string
		s.cl.Read(func(st *clusterbus.State) { text = st.NodesText(v) })
		w.Verbatim(text, "txt")
	case "slots":
		var r clusterbus.Array
		s.cl.Read(func(st *clusterbus.State) { r = st.SlotsReply(v) })
		clusterbus.WriteReply(w, r)
	case "shards":
		var r clusterbus.Array
		s.cl.Read(func(st *clusterbus.State) { r = st.ShardsReply(v) })
		clusterbus.WriteReply(w, r)
	case "info":
		stats := s.cl.Stats()
		var text string
		s.cl.Read(func(st *clusterbus.State) { text = st.InfoText(&stats) })
		w.Verbatim(text, "txt")
	case "links":
		if !need(0) {
			return
		}
		clusterbus.WriteReply(w, s.cl.LinksReply())
	case "slot-stats":
		q, err := clusterbus.ParseSlotStats(string(args[1]), rest)
		if err != nil {
			replyClusterErr(c, err)
			return
		}
		counts := s.slotKeyCounts()
		var r clusterbus.Array
		s.cl.Read(func(st *clusterbus.State) { r = st.SlotStatsReply(q, func(slot int) int { return counts[slot] }) })
		clusterbus.WriteReply(w, r)
	case "myid":
		var id string
		s.cl.Read(func(st *clusterbus.State) { id = st.MyID() })
		w.BulkString(id)
	case "myshardid":
		var id string
		s.cl.Read(func(st *clusterbus.State) { id = st.MyShardID() })
		w.BulkString(id)
	case "meet":
		if len(rest) != 2 && len(rest) != 3 {
			c.Err("ERR wrong number of arguments for 'cluster|meet' command")
			return
		}
		ip := string(rest[0])
		port, err1 := strconv.Atoi(string(rest[1]))
		bus := port + 10000
		var err2 error
		if len(rest) == 3 {
			bus, err2 = strconv.Atoi(string(rest[2]))
		}
		if err1 != nil || err2 != nil || port <= 0 || port > 65535 || bus <= 0 || bus > 65535 || net.ParseIP(ip) == nil {
			c.Err("ERR Invalid node address specified: " + ip + ":" + string(rest[1]))
			return
		}
		if err := s.cl.Meet(ip, port, bus); err != nil {
			replyClusterErr(c, err)
			return
		}
		w.OK()
	case "addslots":
		do(func(st *clusterbus.State) error { return st.AddSlots(rest) })
	case "delslots":
		do(func(st *clusterbus.State) error { return st.DelSlots(rest) })
	case "addslotsrange":
		do(func(st *clusterbus.State) error { return st.AddSlotsRange(rest) })
	case "delslotsrange":
		do(func(st *clusterbus.State) error { return st.DelSlotsRange(rest) })
	case "flushslots":
		do(func(st *clusterbus.State) error { return st.FlushSlots(dbHasKeys) })
	case "setslot":
		do(func(st *clusterbus.State) error {
			_, err := st.SetSlot(rest, false, hasKeys)
			return err
		})
	case "replicate", "slaves", "replicas":
		if !need(1) {
			return
		}
		if sub != "replicate" {
			var lines []string
			var err error
			s.cl.Read(func(st *clusterbus.State) { lines, err = st.Replicas(string(rest[0]), v) })
			if err != nil {
				replyClusterErr(c, err)
				return
			}
			w.Array(len(lines))
			for _, l := range lines {
				w.BulkString(l)
			}
			return
		}
		var primary *clusterbus.Node
		err := s.cl.Do(func(st *clusterbus.State) error {
			n, err := st.Replicate(string(rest[0]), dbHasKeys)
			primary = n
			return err
		})
		if err != nil {
			replyClusterErr(c, err)
			return
		}
		if primary != nil {
			var ip string
			var port int
			s.cl.Read(func(st *clusterbus.State) {
				rv := clusterbus.View{TLS: s.cfg.TLS.Replication}
				ip, port = clusterbus.ClientIP(primary, rv), clusterbus.ClientPort(primary, rv)
			})
			s.startReplicaOf(ip, port)
		}
		w.OK()
	case "keyslot":
		if !need(1) {
			return
		}
		w.Int(int64(clusterbus.KeySlot(rest[0])))
	case "countkeysinslot":
		if !need(1) {
			return
		}
		slot, err := clusterbus.ParseSlot(rest[0])
		if err != nil {
			c.Err("ERR Invalid slot")
			return
		}
		w.Int(int64(s.countKeysInSlot(slot)))
	case "getkeysinslot":
		if !need(2) {
			return
		}
		slot, err := clusterbus.ParseSlot(rest[0])
		n, ok := parseInt64(rest[1])
		if err != nil || !ok || n < 0 {
			c.Err("ERR Invalid slot or number of keys")
			return
		}
		keys := s.keysInSlot(slot, int(min(n, 1<<30)))
		w.Array(len(keys))
		for _, k := range keys {
			w.BulkString(k)
		}
	case "reset":
		hard, err := clusterbus.ParseReset(rest)
		if err != nil {
			replyClusterErr(c, err)
			return
		}
		var res clusterbus.ResetResult
		err = s.cl.Do(func(st *clusterbus.State) error {
			var e error
			res, e = st.Reset(hard, dbHasKeys)
			return e
		})
		if err != nil {
			replyClusterErr(c, err)
			return
		}
		if res.WasReplica {
			s.becomePrimary()
			s.flushAllForSync()
		}
		w.OK()
	case "forget":
		if !need(1) {
			return
		}
		if err := s.cl.Forget(string(rest[0])); err != nil {
			replyClusterErr(c, err)
			return
		}
		w.OK()
	case "set-config-epoch":
		if !need(1) {
			return
		}
		do(func(st *clusterbus.State) error { return st.SetConfigEpoch(rest[0]) })
	case "bumpepoch":
		var reply string
		_ = s.cl.Do(func(st *clusterbus.State) error {
			st.BumpEpoch()
			reply = st.BumpEpochReply()
			return nil
		})
		w.Simple(reply)
	case "count-failure-reports":
		if !need(1) {
			return
		}
		var n int
		var err error
		s.cl.Read(func(st *clusterbus.State) { n, err = st.CountFailureReports(string(rest[0]), nowMs()) })
		if err != nil {
			replyClusterErr(c, err)
			return
		}
		w.Int(int64(n))
	case "saveconfig":
		if err := s.cl.SaveConfig(); err != nil {
			replyClusterErr(c, err)
			return
		}
		w.OK()
	case "failover":
		mode, err := clusterbus.ParseFailover(rest)
		if err == nil {
			err = s.cl.ManualFailover(mode)
		}
		if err != nil {
			replyClusterErr(c, err)
			return
		}
		w.OK()
	default:
		c.Err("ERR unknown subcommand '" + string(args[1]) + "'. Try CLUSTER HELP.")
	}
}

func clusterHelp(c *Client) {
	lines := []string{
		"CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"ADDSLOTS <slot> [<slot> ...]", "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
		"BUMPEPOCH", "COUNT-FAILURE-REPORTS <node-id>", "COUNTKEYSINSLOT <slot>", "DELSLOTS <slot> [<slot> ...]",
		"DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]", "FAILOVER [FORCE|TAKEOVER]",
		"FLUSHSLOTS", "FORGET <node-id>",
		"GETKEYSINSLOT <slot> <count>", "INFO", "KEYSLOT <key>", "LINKS", "MEET <ip> <port> [<bus-port>]", "MYID", "MYSHARDID",
		"NODES", "REPLICATE <node-id>", "RESET [HARD|SOFT]", "SET-CONFIG-EPOCH <epoch>",
		"SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)", "REPLICAS <node-id>",
		"SAVECONFIG", "SHARDS", "SLOTS", "SLOT-STATS (SLOTSRANGE <start slot> <end slot>|ORDERBY key-count [LIMIT <limit>] [ASC|DESC])",
		"HELP",
	}
	w := c.W()
	w.Array(len(lines))
	for _, l := range lines {
		w.Simple(l)
	}
}

func askingCommand(c *Client, args [][]byte) {
	if c.srv.cl == nil {
		c.Err(errClusterDisabled)
		return
	}
	c.asking = true
	c.W().OK()
}

func readonlyCommand(c *Client, args [][]byte) {
	if c.srv.cl == nil {
		c.Err(errClusterDisabled)
		return
	}
	c.readOnlyCluster = true
	c.W().OK()
}

func readwriteCommand(c *Client, args [][]byte) {
	if c.srv.cl == nil {
		c.Err(errClusterDisabled)
		return
	}
	c.readOnlyCluster = false
	c.W().OK()
}

func init() {
	register(
		spec{name: "cluster", arity: -2, flags: "", group: "cluster",
			summary: "A container for Redis Cluster commands.", since: "3.0.0", complexity: "Depends on subcommand.",
			handler: clusterCommand},
		spec{name: "asking", arity: 1, flags: "fast", group: "cluster",
			summary: "Signals that a cluster client is following an -ASK redirect.", since: "3.0.0", complexity: "O(1)",
			handler: askingCommand},
		spec{name: "readonly", arity: 1, flags: "loading stale fast", group: "cluster",
			summary: "Enables read-only queries for a connection to a Redis Cluster replica node.", since: "3.0.0",
			complexity: "O(1)", handler: readonlyCommand},
		spec{name: "readwrite", arity: 1, flags: "loading stale fast", group: "cluster",
			summary: "Enables read-write queries for a connection to a Reids Cluster replica node.", since: "3.0.0",
			complexity: "O(1)", handler: readwriteCommand},
	)
}
