package server

import (
	"math"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// embstrMax is the longest string Valkey stores with the embstr encoding.
const embstrMax = 44

// sharedIntegers is the range [0, sharedIntegers) of integers Valkey keeps as shared objects when no
// maxmemory policy forbids it; OBJECT REFCOUNT reports them with sharedRefcount.
const (
	sharedIntegers = 10000
	sharedRefcount = math.MaxInt32
)

// encoder is implemented by the values of the non-string kinds, which know their own encoding names
// (listpack, quicklist, hashtable, skiplist, intset, stream).
type encoder interface{ Encoding() string }

// deepCopier is implemented by the values of the non-string kinds so that COPY can duplicate them.
type deepCopier interface{ DeepCopy() any }

// encodingName is what OBJECT ENCODING reports for a value, following Valkey's names and thresholds (the
// in-memory layout here is our own; clients and tests look at the names).
func encodingName(o *keyspace.Object) string {
	switch o.Kind {
	case keyspace.KindString:
		if o.Raw {
			return "raw"
		}
		if !o.NoIntEnc && len(o.Str) <= 20 {
			if _, ok := parseInt64(o.Str); ok {
				return "int"
			}
		}
		if len(o.Str) <= embstrMax {
			return "embstr"
		}
		return "raw"
	}
	if e, ok := o.Val.(encoder); ok {
		return e.Encoding()
	}
	return "unknown"
}

// refCount is OBJECT REFCOUNT: values are never shared here, but Valkey shares the small integers and
// reports them with INT_MAX, which clients and tests observe.
func refCount(o *keyspace.Object) int64 {
	if o.Kind == keyspace.KindString && encodingName(o) == "int" {
		if n, _ := parseInt64(o.Str); n >= 0 && n < sharedIntegers {
			return sharedRefcount
		}
	}
	return 1
}

// copyObject duplicates a value for COPY; the copy shares no memory with the original, since strings are
// modified in place. It reports false for a kind that cannot be copied.
func (s *Server) copyObject(o *keyspace.Object) (keyspace.Object, bool) {
	n := keyspace.Object{Kind: o.Kind, Raw: o.Raw, NoIntEnc: o.NoIntEnc, LRU: s.lruClock()}
	if o.Str != nil {
		n.Str = append([]byte(nil), o.Str...)
	}
	if o.Val != nil {
		dc, ok := o.Val.(deepCopier)
		if !ok {
			return n, false
		}
		n.Val = dc.DeepCopy()
	}
	return n, true
}

const (
	errLFUNotSelected = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	errLFUSelected    = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
)

// objectLookup finds the key of an OBJECT subcommand without touching it, replying null when missing.
func (s *Server) objectLookup(c *Client, key []byte) *keyspace.Object {
	o := s.lookupNoTouch(c, key)
	if o == nil {
		c.W().Null()
	}
	return o
}

func objectEncodingCommand(c *Client, args [][]byte) {
	if o := c.srv.objectLookup(c, args[2]); o != nil {
		c.W().BulkString(encodingName(o))
	}
}

func objectRefcountCommand(c *Client, args [][]byte) {
	if o := c.srv.objectLookup(c, args[2]); o != nil {
		c.W().Int(refCount(o))
	}
}

func objectIdletimeCommand(c *Client, args [][]byte) {
	s := c.srv
	o := s.objectLookup(c, args[2])
	if o == nil {
		return
	}
	if s.lfuEnabled() {
		c.Err(errLFUSelected)
		return
	}
	c.W().Int(int64(lruIdle(o.LRU, uint32(s.now.Unix()))))
}

func objectFreqCommand(c *Client, args [][]byte) {
	s := c.srv
	o := s.objectLookup(c, args[2])
	if o == nil {
		return
	}
	if !s.lfuEnabled() {
		c.Err(errLFUNotSelected)
		return
	}
	// the counter as it stands after the decay for the time without access; looking does not count
	c.W().Int(int64(s.lfuCounter(o.LRU, s.now)))
}

var objectHelp = []string{
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
}

func objectHelpCommand(c *Client, args [][]byte) { helpReply(c, "OBJECT", objectHelp) }

func init() {
	register(spec{name: "object", arity: -2, group: "generic", summary: "A container for object introspection commands.", since: "2.2.3", complexity: "Depends on subcommand.",
		subs: []spec{
			{name: "encoding", arity: 3, flags: "readonly", first: 2, last: 2, step: 1, summary: "Returns the internal encoding of an object.", since: "2.2.3", complexity: "O(1)", handler: objectEncodingCommand},
			{name: "freq", arity: 3, flags: "readonly", first: 2, last: 2, step: 1, summary: "Returns the logarithmic access frequency counter of an object.", since: "4.0.0", complexity: "O(1)", handler: objectFreqCommand},
			{name: "idletime", arity: 3, flags: "readonly", first: 2, last: 2, step: 1, summary: "Returns the time since the last access to an object.", since: "2.2.3", complexity: "O(1)", handler: objectIdletimeCommand},
			{name: "refcount", arity: 3, flags: "readonly", first: 2, last: 2, step: 1, summary: "Returns the reference count of a value of a key.", since: "2.2.3", complexity: "O(1)", handler: objectRefcountCommand},
			{name: "help", arity: 2, flags: "loading stale", summary: "Returns helpful text about the different subcommands.", since: "6.2.0", complexity: "O(1)", handler: objectHelpCommand},
		}})
}

// typedValue returns the structure of a value of the given kind: (zero, true) for a missing key, (zero,
// false) after replying WRONGTYPE when the key holds another kind. Each type's lookup helpers use it.
func typedValue[T any](c *Client, o *keyspace.Object, kind keyspace.Kind) (T, bool) {
	var zero T
	if o == nil {
		return zero, true
	}
	if o.Kind != kind {
		c.Err(errWrongType)
		return zero, false
	}
	return o.Val.(T), true
}
