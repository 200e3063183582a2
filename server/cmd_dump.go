package server

import (
	"errors"
	"math"
	"strconv"

	"github.com/valkey-node/valkey-node/server/rdb"
)

// DUMP and RESTORE: a value serialised the way an RDB file holds it (type byte, value), followed by the RDB
// version and a CRC64, so that it can move between nodes (MIGRATE, redis-cli --cluster, client tools) and
// between valkey-node and Valkey or Redis 7.

const (
	errBusyKey         = "BUSYKEY Target key name already exists."
	errRestoreTTL      = "ERR Invalid TTL value, must be >= 0"
	errRestoreIdle     = "ERR Invalid IDLETIME value, must be >= 0"
	errRestoreFreq     = "ERR Invalid FREQ value, must be >= 0 and <= 255"
	errRestoreBadValue = "ERR Bad data format"
)

var (
	bABSTTL = []byte("ABSTTL")
	bUNLINK = []byte("UNLINK")
)

// DUMP key: the serialised value, or a null for a missing key.
func dumpCommand(c *Client, args [][]byte) {
	s := c.srv
	o := s.lookupRead(c, args[1])
	if o == nil {
		c.W().Null()
		return
	}
	p := rdb.DumpPayload(o, s.rdbOptions())
	if p == nil {
		// a kind the RDB writer cannot serialise yet (streams)
		c.Err("ERR DUMP is not supported for this value type")
		return
	}
	c.W().Bulk(p)
}

// restoreOpts are RESTORE's options after the payload.
type restoreOpts struct {
	replace, absTTL bool
	idle, freq      int64 // -1 when not given
}

// parseRestoreOpts reads RESTORE's options, replying on error. As in Valkey, IDLETIME and FREQ exclude each
// other (the second one is a syntax error) and each needs its argument.
func parseRestoreOpts(c *Client, args [][]byte) (restoreOpts, bool) {
	o := restoreOpts{idle: -1, freq: -1}
	for j := 0; j < len(args); j++ {
		more := len(args) - j - 1
		switch a := args[j]; {
		case eqFold(a, "replace"):
			o.replace = true
		case eqFold(a, "absttl"):
			o.absTTL = true
		case eqFold(a, "idletime") && more >= 1 && o.freq == -1:
			n, ok := parseInt64(args[j+1])
			if !ok {
				c.Err(errNotInt)
				return o, false
			}
			if n < 0 {
				c.Err(errRestoreIdle)
				return o, false
			}
			o.idle = n
			j++
		case eqFold(a, "freq") && more >= 1 && o.idle == -1:
			n, ok := parseInt64(args[j+1])
			if !ok {
				c.Err(errNotInt)
				return o, false
			}
			if n < 0 || n > 255 {
				c.Err(errRestoreFreq)
				return o, false
			}
			o.freq = n
			j++
		default:
			c.Err(errSyntax)
			return o, false
		}
	}
	return o, true
}

// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
//
// The checks run in Valkey's order (options, existing key, ttl, payload), so the same wrong command gets
// the same error. A ttl that is already in the past creates nothing but still replies OK; with REPLACE the
// old value is gone all the same, and that deletion is what propagates. A relative ttl propagates as
// ABSTTL with the absolute time, so that a replica or the AOF expires the key at the same moment.
func restoreCommand(c *Client, args [][]byte) {
	s := c.srv
	opts, ok := parseRestoreOpts(c, args[4:])
	if !ok {
		return
	}
	key := args[1]
	db := c.dbx()
	if !opts.replace && s.lookupWrite(c, key) != nil {
		c.Err(errBusyKey)
		return
	}
	ttl, ok := parseInt64(args[2])
	if !ok {
		c.Err(errNotInt)
		return
	}
	if ttl < 0 {
		c.Err(errRestoreTTL)
		return
	}
	obj, err := rdb.ParseDumpPayload(args[3], s.rdbLimits())
	if err != nil {
		if errors.Is(err, rdb.ErrBadPayload) {
			c.Err(rdb.ErrBadPayload.Error())
		} else {
			s.log.Debug().Err(err).Msg("RESTORE refused a payload that does not decode")
			c.Err(errRestoreBadValue)
		}
		return
	}

	deleted := false
	if opts.replace {
		_, deleted = s.memDeleteKey(db.ID, key, s.cfg.Memory.LazyServerDel)
	}
	now := s.nowMs()
	if ttl > 0 && !opts.absTTL {
		// saturate rather than wrap: a huge relative ttl means "far in the future", not "in the past"
		if ttl > math.MaxInt64-now {
			ttl = math.MaxInt64
		} else {
			ttl += now
		}
	}
	if ttl > 0 && ttl <= now {
		// already expired: nothing is created
		if deleted {
			// propagated as the deletion it was, UNLINK when server deletions are lazy (as Valkey does)
			if s.cfg.Memory.LazyServerDel {
				c.rewriteCommand(bUNLINK, key)
			} else {
				c.rewriteCommand(bDEL, key)
			}
			s.keyModified(db, key)
			s.notifyKeyspace(notifyGeneric, "del", key, db.ID)
		}
		c.W().OK()
		return
	}

	obj.LRU = s.lruClock()
	// The key arrives as idle, or as frequently used, as it was where it was dumped. Each hint applies only
	// under the policy that tracks it: IDLETIME with LRU, FREQ with LFU (Valkey ignores the other).
	switch lfu := s.lfuEnabled(); {
	case lfu && opts.freq >= 0:
		obj.LRU = lfuMinutes(s.now)<<8 | uint32(opts.freq)
	case !lfu && opts.idle >= 0:
		if clock := obj.LRU; opts.idle >= int64(clock) {
			obj.LRU = 0
		} else {
			obj.LRU = clock - uint32(opts.idle)
		}
	}
	db.Add(key, obj)
	if ttl > 0 {
		db.SetExpire(key, ttl)
		if !opts.absTTL && s.propagating() {
			argv := make([][]byte, 0, len(args)+1)
			argv = append(argv, args...)
			argv[2] = strconv.AppendInt(nil, ttl, 10)
			argv = append(argv, bABSTTL)
			c.rewriteCommand(argv...)
		}
	}
	s.keyModified(db, key)
	s.notifyKeyspace(notifyGeneric, "restore", key, db.ID)
	c.W().OK()
}

func init() {
	register(
		spec{name: "dump", arity: 2, flags: "readonly", first: 1, last: 1, step: 1, group: "generic",
			summary: "Returns a serialized representation of the value stored at a key.", since: "2.6.0",
			complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
			handler:    dumpCommand},
		spec{name: "restore", arity: -4, flags: "write denyoom dangerous", first: 1, last: 1, step: 1, group: "generic",
			summary: "Creates a key from the serialized representation of a value.", since: "2.6.0",
			complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
			handler:    restoreCommand},
	)
}
