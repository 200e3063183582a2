package server

import (
	"fmt"
	"sort"
	"strings"

	"github.com/valkey-node/valkey-node/server/keyspace"
	"github.com/valkey-node/valkey-node/server/resp"
)

// Server-assisted client-side caching (CLIENT TRACKING). In the default mode the node remembers, per key
// name, which clients read it, and tells each of them once when the key changes; the client then forgets
// the key until it reads it again. In BCAST mode clients subscribe to key prefixes instead and hear about
// every change under them. Keys are tracked by name only, across databases, as in Valkey.

// trackingChannel is where RESP2 clients receive invalidations through a redirect.
const trackingChannel = "__redis__:invalidate"

// clientTracking is one connection's CLIENT TRACKING state; Client.tracking is nil while tracking is off.
type clientTracking struct {
	redirect    uint64 // 0: invalidations go to the client itself
	bcast       bool
	optin       bool
	optout      bool
	noloop      bool
	caching     bool // CLIENT CACHING yes (OPTIN) or no (OPTOUT) applies to the next command
	brokenRedir bool
	prefixes    map[string]struct{} // BCAST prefixes
}

// trackingState is the node's tracking tables.
type trackingState struct {
	clients int                            // connections with tracking on
	keys    map[string]map[uint64]struct{} // key name -> IDs of the clients that read it
	items   int                            // client IDs summed over keys
	// prefixes maps a BCAST prefix to its clients
	prefixes map[string]map[*Client]struct{}
	// bcastPending collects, per prefix, the keys changed by the running command (with who changed them,
	// for NOLOOP); they go out in one message per prefix and client when the command ends.
	bcastPending map[string]map[string]*Client
	// selfPending holds invalidations for the client whose command is running: they follow its reply.
	selfPending []pendingInvalidation
}

type pendingInvalidation struct {
	target *Client
	key    []byte // nil: the whole data set (FLUSHALL)
	null   bool
}

// trackingActive reports whether any tracking work may be needed (cheap check for hot paths).
func (s *Server) trackingActive() bool {
	t := &s.tracking
	return t.clients > 0 || len(t.keys) > 0 || len(t.selfPending) > 0 || len(t.bcastPending) > 0
}

// enableTracking turns tracking on (or updates it) for c with already validated options.
func (s *Server) enableTracking(c *Client, redirect uint64, bcast, optin, optout, noloop bool, prefixes []string) {
	t := &s.tracking
	old := c.tracking
	if old == nil {
		t.clients++
		old = &clientTracking{}
	}
	ct := &clientTracking{redirect: redirect, bcast: bcast, optin: optin, optout: optout, noloop: noloop,
		prefixes: old.prefixes}
	c.tracking = ct
	if !bcast {
		return
	}
	if len(prefixes) == 0 {
		prefixes = []string{""}
	}
	if ct.prefixes == nil {
		ct.prefixes = map[string]struct{}{}
	}
	if t.prefixes == nil {
		t.prefixes = map[string]map[*Client]struct{}{}
	}
	for _, p := range prefixes {
		ct.prefixes[p] = struct{}{}
		set := t.prefixes[p]
		if set == nil {
			set = map[*Client]struct{}{}
			t.prefixes[p] = set
		}
		set[c] = struct{}{}
	}
}

// disableTracking turns tracking off for c. The key table forgets c lazily: its ID is dropped with the
// key on the next invalidation.
func (s *Server) disableTracking(c *Client) {
	ct := c.tracking
	if ct == nil {
		return
	}
	t := &s.tracking
	for p := range ct.prefixes {
		if set := t.prefixes[p]; set != nil {
			delete(set, c)
			if len(set) == 0 {
				delete(t.prefixes, p)
				delete(t.bcastPending, p)
			}
		}
	}
	c.tracking = nil
	t.clients--
}

// trackingRemember records the keys a read command of a default-mode tracking client used.
func (s *Server) trackingRemember(c *Client, cmd *Command, args [][]byte) {
	ct := c.tracking
	if (ct.optin && !ct.caching) || (ct.optout && ct.caching) {
		return
	}
	t := &s.tracking
	if t.keys == nil {
		t.keys = map[string]map[uint64]struct{}{}
	}
	for _, p := range aclKeyPositions(cmd, args) {
		k := string(args[p])
		ids := t.keys[k]
		if ids == nil {
			ids = map[uint64]struct{}{}
			t.keys[k] = ids
		}
		if _, ok := ids[c.id]; !ok {
			ids[c.id] = struct{}{}
			t.items++
		}
	}
}

// trackingAfterCommand runs after every command while tracking is in use: it remembers the keys the
// command read, ends a CLIENT CACHING that applied to it, keeps the key table within
// tracking-table-max-keys and sends the invalidations that must follow the reply.
func (s *Server) trackingAfterCommand(c *Client, cmd *Command, args [][]byte) {
	if ct := c.tracking; ct != nil {
		if !ct.bcast && cmd.Flags&flagReadonly != 0 {
			s.trackingRemember(c, cmd, args)
		}
		// CLIENT CACHING applies to the next command (CLIENT subcommands do not count), or to a whole
		// transaction
		if ct.caching && !c.inExec && c.multi == nil && (cmd.Parent == nil || cmd.Parent.Name != "client") {
			ct.caching = false
		}
	}
	if c.inExec {
		return // a transaction's invalidations follow EXEC's reply
	}
	if limit := s.cfg.TrackingTableMaxKeys; limit > 0 {
		for k := range s.tracking.keys {
			if int64(len(s.tracking.keys)) <= limit {
				break
			}
			s.trackingInvalidateKey(nil, []byte(k))
		}
	}
	s.trackingFlushPending()
}

// trackingKeyModified is keyModified's hook: it invalidates key for default-mode readers and queues it
// for BCAST clients whose prefixes match.
func (s *Server) trackingKeyModified(db *keyspace.DB, key []byte) {
	_ = db // keys are tracked by name across databases
	t := &s.tracking
	if len(t.prefixes) > 0 {
		if t.bcastPending == nil {
			t.bcastPending = map[string]map[string]*Client{}
		}
		for p := range t.prefixes {
			if !strings.HasPrefix(string(key), p) {
				continue
			}
			m := t.bcastPending[p]
			if m == nil {
				m = map[string]*Client{}
				t.bcastPending[p] = m
			}
			m[string(key)] = s.cur
		}
	}
	if len(t.keys) > 0 {
		s.trackingInvalidateKey(s.cur, key)
	}
	if s.cur == nil {
		// outside a command (active expiry): nothing will end, send now
		s.trackingFlushPending()
	}
}

// trackingInvalidateKey tells the default-mode clients that read key that it changed and forgets it. by is
// the client whose command changed it (nil for expiry and eviction).
func (s *Server) trackingInvalidateKey(by *Client, key []byte) {
	t := &s.tracking
	ids, ok := t.keys[string(key)]
	if !ok {
		return
	}
	delete(t.keys, string(key))
	t.items -= len(ids)
	for id := range ids {
		target := s.clients[id]
		if target == nil || target.tracking == nil || target.tracking.bcast {
			continue
		}
		if target.tracking.noloop && target == by {
			continue
		}
		if target == s.cur {
			// the reply of the running command comes first
			t.selfPending = append(t.selfPending, pendingInvalidation{target: target, key: []byte(string(key))})
			continue
		}
		s.sendInvalidation(target, func(w *resp.Writer) {
			w.Array(1)
			w.Bulk(key)
		})
	}
}

// trackingFlush is FLUSHDB/FLUSHALL's hook: every tracking client hears that everything changed (a null
// invalidation), and the key table starts over.
func (s *Server) trackingFlush() {
	t := &s.tracking
	if t.clients == 0 && len(t.keys) == 0 {
		return
	}
	for _, c := range s.clients {
		if c.tracking == nil {
			continue
		}
		if c == s.cur {
			t.selfPending = append(t.selfPending, pendingInvalidation{target: c, null: true})
			continue
		}
		s.sendInvalidation(c, func(w *resp.Writer) { w.Null() })
	}
	t.keys = nil
	t.items = 0
}

// trackingFlushPending sends the invalidations queued while a command ran.
func (s *Server) trackingFlushPending() {
	t := &s.tracking
	pend := t.selfPending
	t.selfPending = nil
	for _, p := range pend {
		if s.clients[p.target.id] != p.target || p.target.tracking == nil {
			continue
		}
		if p.null {
			s.sendInvalidation(p.target, func(w *resp.Writer) { w.Null() })
			continue
		}
		key := p.key
		s.sendInvalidation(p.target, func(w *resp.Writer) {
			w.Array(1)
			w.Bulk(key)
		})
	}
	if len(t.bcastPending) == 0 {
		return
	}
	bp := t.bcastPending
	t.bcastPending = nil
	for p, changed := range bp {
		keys := make([]string, 0, len(changed))
		for k := range changed {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for c := range t.prefixes[p] {
			send := keys
			if c.tracking.noloop {
				send = make([]string, 0, len(keys))
				for _, k := range keys {
					if changed[k] != c {
						send = append(send, k)
					}
				}
				if len(send) == 0 {
					continue
				}
			}
			s.sendInvalidation(c, func(w *resp.Writer) {
				w.Array(len(send))
				for _, k := range send {
					w.BulkString(k)
				}
			})
		}
	}
}

// sendInvalidation delivers an invalidation whose payload (the key array, or null) body writes: to c as
// a RESP3 push, or to its redirect target, which must speak RESP3 or be a RESP2 subscriber (it receives a
// message on __redis__:invalidate).
func (s *Server) sendInvalidation(c *Client, body func(w *resp.Writer)) {
	target := c
	redirected := false
	if id := c.tracking.redirect; id != 0 {
		target = s.clients[id]
		if target == nil {
			if !c.tracking.brokenRedir {
				c.tracking.brokenRedir = true
				if c.proto == 3 {
					c.push(func(w *resp.Writer) {
						w.Push(2)
						w.BulkString("tracking-redir-broken")
						w.Int(int64(id))
					})
				}
			}
			return
		}
		redirected = true
	}
	switch {
	case target.proto == 3:
		target.push(func(w *resp.Writer) {
			w.Push(2)
			w.BulkString("invalidate")
			body(w)
		})
	case redirected && target.flags.subscribed:
		target.push(func(w *resp.Writer) {
			w.Push(3)
			w.BulkString("message")
			w.BulkString(trackingChannel)
			body(w)
		})
	}
}

// clientTrackingCommand implements CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN]
// [OPTOUT] [NOLOOP].
func clientTrackingCommand(c *Client, args [][]byte) {
	s := c.srv
	var (
		redirect                     int64
		bcast, optin, optout, noloop bool
		prefixes                     []string
	)
	for j := 3; j < len(args); j++ {
		more := j+1 < len(args)
		switch a := args[j]; {
		case eqFold(a, "redirect") && more:
			j++
			if redirect != 0 {
				c.Err("ERR A client can only redirect to a single other client")
				return
			}
			n, ok := parseInt64(args[j])
			if !ok {
				c.Err(errNotInt)
				return
			}
			if n <= 0 || s.clients[uint64(n)] == nil {
				c.Err("ERR The client ID you want redirect to does not exist")
				return
			}
			redirect = n
		case eqFold(a, "bcast"):
			bcast = true
		case eqFold(a, "optin"):
			optin = true
		case eqFold(a, "optout"):
			optout = true
		case eqFold(a, "noloop"):
			noloop = true
		case eqFold(a, "prefix") && more:
			j++
			prefixes = append(prefixes, string(args[j]))
		default:
			c.Err(errSyntax)
			return
		}
	}
	switch {
	case eqFold(args[2], "on"):
		ct := c.tracking
		switch {
		case !bcast && len(prefixes) > 0:
			c.Err("ERR PREFIX option requires BCAST mode to be enabled")
		case ct != nil && ct.bcast != bcast:
			c.Err("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
		case bcast && (optin || optout):
			c.Err("ERR OPTIN and OPTOUT are not compatible with BCAST")
		case optin && optout:
			c.Err("ERR You can't specify both OPTIN mode and OPTOUT mode")
		case ct != nil && ((optin && ct.optout) || (optout && ct.optin)):
			c.Err("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
		default:
			if bcast {
				if msg := prefixCollision(ct, prefixes); msg != "" {
					c.Err(msg)
					return
				}
			}
			s.enableTracking(c, uint64(redirect), bcast, optin, optout, noloop, prefixes)
			c.W().OK()
		}
	case eqFold(args[2], "off"):
		s.disableTracking(c)
		c.W().OK()
	default:
		c.Err(errSyntax)
	}
}

// prefixCollision returns the error for BCAST prefixes that overlap the client's or each other ("" if
// none do): a key must match at most one prefix of a client.
func prefixCollision(ct *clientTracking, prefixes []string) string {
	overlap := func(a, b string) bool { return strings.HasPrefix(a, b) || strings.HasPrefix(b, a) }
	for i, p := range prefixes {
		if ct != nil {
			existing := make([]string, 0, len(ct.prefixes))
			for e := range ct.prefixes {
				existing = append(existing, e)
			}
			sort.Strings(existing)
			for _, e := range existing {
				if overlap(p, e) {
					return fmt.Sprintf("ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single client must not overlap.", p, e)
				}
			}
		}
		for _, q := range prefixes[i+1:] {
			if overlap(p, q) {
				return fmt.Sprintf("ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a single client must not overlap.", p, q)
			}
		}
	}
	return ""
}

// clientCachingCommand implements CLIENT CACHING YES|NO for the OPTIN and OPTOUT modes.
func clientCachingCommand(c *Client, args [][]byte) {
	ct := c.tracking
	if ct == nil {
		c.Err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch {
	case eqFold(args[2], "yes"):
		if !ct.optin {
			c.Err("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
	case eqFold(args[2], "no"):
		if !ct.optout {
			c.Err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
	default:
		c.Err(errSyntax)
		return
	}
	ct.caching = true
	c.W().OK()
}

// clientTrackingInfoCommand implements CLIENT TRACKINGINFO: flags, redirect and prefixes.
func clientTrackingInfoCommand(c *Client, args [][]byte) {
	w := c.W()
	w.Map(3)
	w.BulkString("flags")
	ct := c.tracking
	if ct == nil {
		w.Set(1)
		w.BulkString("off")
		w.BulkString("redirect")
		w.Int(-1)
		w.BulkString("prefixes")
		w.Array(0)
		return
	}
	flags := []string{"on"}
	if ct.bcast {
		flags = append(flags, "bcast")
	}
	if ct.optin {
		flags = append(flags, "optin")
		if ct.caching {
			flags = append(flags, "caching-yes")
		}
	}
	if ct.optout {
		flags = append(flags, "optout")
		if ct.caching {
			flags = append(flags, "caching-no")
		}
	}
	if ct.noloop {
		flags = append(flags, "noloop")
	}
	if ct.brokenRedir {
		flags = append(flags, "broken_redirect")
	}
	w.Set(len(flags))
	for _, f := range flags {
		w.BulkString(f)
	}
	w.BulkString("redirect")
	w.Int(int64(ct.redirect))
	w.BulkString("prefixes")
	prefixes := make([]string, 0, len(ct.prefixes))
	for p := range ct.prefixes {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	w.StringArray(prefixes)
}

// clientGetRedirCommand implements CLIENT GETREDIR: -1 with tracking off, 0 without a redirect.
func clientGetRedirCommand(c *Client, args [][]byte) {
	if c.tracking == nil {
		c.W().Int(-1)
		return
	}
	c.W().Int(int64(c.tracking.redirect))
}

// trackingClientFlags are the CLIENT LIST flag letters tracking adds.
func (c *Client) trackingClientFlags() string {
	if c.tracking == nil {
		return ""
	}
	f := "t"
	if c.tracking.brokenRedir {
		f += "R"
	}
	if c.tracking.bcast {
		f += "B"
	}
	return f
}
