package server

import (
	"sort"

	"github.com/valkey-node/valkey-node/server/glob"
	"github.com/valkey-node/valkey-node/server/resp"
)

// pubsubState is the node's subscription tables. Shard channels (SSUBSCRIBE) are a separate namespace, as
// in Valkey; outside cluster mode they behave like ordinary channels.
type pubsubState struct {
	channels map[string]map[*Client]struct{}
	patterns map[string]map[*Client]struct{}
	shard    map[string]map[*Client]struct{}
}

func (p *pubsubState) init() {
	p.channels = map[string]map[*Client]struct{}{}
	p.patterns = map[string]map[*Client]struct{}{}
	p.shard = map[string]map[*Client]struct{}{}
}

// clientSubs are one client's subscriptions.
type clientSubs struct {
	channels map[string]struct{}
	patterns map[string]struct{}
	shard    map[string]struct{}
}

func (cs *clientSubs) count() int      { return len(cs.channels) + len(cs.patterns) }
func (cs *clientSubs) shardCount() int { return len(cs.shard) }

// subKind selects one of the three namespaces.
type subKind int

const (
	subChannel subKind = iota
	subPattern
	subShard
)

var subReplies = [3][2]string{
	{"subscribe", "unsubscribe"},
	{"psubscribe", "punsubscribe"},
	{"ssubscribe", "sunsubscribe"},
}

func (s *Server) subTables(c *Client, k subKind) (map[string]map[*Client]struct{}, *map[string]struct{}) {
	switch k {
	case subPattern:
		return s.pubsub.patterns, &c.subs.patterns
	case subShard:
		return s.pubsub.shard, &c.subs.shard
	}
	return s.pubsub.channels, &c.subs.channels
}

func (c *Client) subCount(k subKind) int {
	if k == subShard {
		return c.subs.shardCount()
	}
	return c.subs.count()
}

func (c *Client) updateSubscribed() {
	c.flags.subscribed = c.subs.count()+c.subs.shardCount() > 0
}

// subscribe adds c to each name and confirms each one with a push (RESP3) or array (RESP2).
func (s *Server) subscribe(c *Client, k subKind, names [][]byte) {
	table, own := s.subTables(c, k)
	if *own == nil {
		*own = map[string]struct{}{}
	}
	w := c.W()
	for _, nb := range names {
		name := string(nb)
		if _, dup := (*own)[name]; !dup {
			(*own)[name] = struct{}{}
			set := table[name]
			if set == nil {
				set = map[*Client]struct{}{}
				table[name] = set
			}
			set[c] = struct{}{}
		}
		w.Push(3)
		w.BulkString(subReplies[k][0])
		w.BulkString(name)
		w.Int(int64(c.subCount(k)))
	}
	c.updateSubscribed()
}

// unsubscribe removes c from the names given, or from all of kind k when none are given.
func (s *Server) unsubscribe(c *Client, k subKind, names [][]byte, reply bool) {
	table, own := s.subTables(c, k)
	var list []string
	if len(names) == 0 {
		for n := range *own {
			list = append(list, n)
		}
		sort.Strings(list)
	} else {
		for _, n := range names {
			list = append(list, string(n))
		}
	}
	w := c.W()
	if reply && len(list) == 0 {
		w.Push(3)
		w.BulkString(subReplies[k][1])
		w.Null()
		w.Int(int64(c.subCount(k)))
	}
	for _, name := range list {
		if _, ok := (*own)[name]; ok {
			delete(*own, name)
			if set := table[name]; set != nil {
				delete(set, c)
				if len(set) == 0 {
					delete(table, name)
				}
			}
		}
		if reply {
			w.Push(3)
			w.BulkString(subReplies[k][1])
			w.BulkString(name)
			w.Int(int64(c.subCount(k)))
		}
	}
	c.updateSubscribed()
}

// publish delivers msg on channel to channel and pattern subscribers (or shard subscribers) and returns
// how many clients received it.
func (s *Server) publish(channel, msg []byte, shard bool) int64 {
	var n int64
	if shard {
		for c := range s.pubsub.shard[string(channel)] {
			c.pushMessage("smessage", nil, channel, msg)
			n++
		}
		return n
	}
	for c := range s.pubsub.channels[string(channel)] {
		c.pushMessage("message", nil, channel, msg)
		n++
	}
	for pat, set := range s.pubsub.patterns {
		if !glob.Match([]byte(pat), channel, false) {
			continue
		}
		for c := range set {
			c.pushMessage("pmessage", []byte(pat), channel, msg)
			n++
		}
	}
	return n
}

// pushMessage queues a pub/sub message to c and enforces the pubsub output buffer limit.
func (c *Client) pushMessage(kind string, pattern, channel, msg []byte) {
	c.push(func(w *resp.Writer) {
		if pattern != nil {
			w.Push(4)
			w.BulkString(kind)
			w.Bulk(pattern)
		} else {
			w.Push(3)
			w.BulkString(kind)
		}
		w.Bulk(channel)
		w.Bulk(msg)
	})
	c.srv.checkOutputLimit(c)
}

// dropSubscriptions removes every subscription of a closed or reset client.
func (s *Server) dropSubscriptions(c *Client) {
	s.unsubscribe(c, subChannel, nil, false)
	s.unsubscribe(c, subPattern, nil, false)
	s.unsubscribe(c, subShard, nil, false)
}

func subscribeCommand(c *Client, args [][]byte) { c.srv.subscribe(c, subChannel, args[1:]) }

func unsubscribeCommand(c *Client, args [][]byte)  { c.srv.unsubscribe(c, subChannel, args[1:], true) }
func psubscribeCommand(c *Client, args [][]byte)   { c.srv.subscribe(c, subPattern, args[1:]) }
func punsubscribeCommand(c *Client, args [][]byte) { c.srv.unsubscribe(c, subPattern, args[1:], true) }
func ssubscribeCommand(c *Client, args [][]byte)   { c.srv.subscribe(c, subShard, args[1:]) }
func sunsubscribeCommand(c *Client, args [][]byte) { c.srv.unsubscribe(c, subShard, args[1:], true) }

func publishCommand(c *Client, args [][]byte) {
	if c.srv.mode != nil {
		c.srv.mode.Publish(c, args[1], args[2])
		return
	}
	c.W().Int(c.srv.publish(args[1], args[2], false))
	c.forcePropagation() // replicas' subscribers get it too
}

func spublishCommand(c *Client, args [][]byte) {
	c.W().Int(c.srv.publish(args[1], args[2], true))
	c.forcePropagation()
}

func pubsubChannels(c *Client, args [][]byte, table map[string]map[*Client]struct{}) {
	var out []string
	for name := range table {
		if len(args) == 3 && !glob.Match(args[2], []byte(name), false) {
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	c.W().StringArray(out)
}

func pubsubNumsub(c *Client, args [][]byte, table map[string]map[*Client]struct{}) {
	w := c.W()
	w.Map(len(args) - 2)
	for _, a := range args[2:] {
		w.Bulk(a)
		w.Int(int64(len(table[string(a)])))
	}
}

func init() {
	register(
		spec{name: "subscribe", arity: -2, flags: "pubsub noscript loading stale", group: "pubsub", summary: "Listens for messages published to channels.", since: "2.0.0", complexity: "O(N) where N is the number of channels to subscribe to.", handler: subscribeCommand},
		spec{name: "unsubscribe", arity: -1, flags: "pubsub noscript loading stale", group: "pubsub", summary: "Stops listening to messages posted to channels.", since: "2.0.0", complexity: "O(N) where N is the number of channels to unsubscribe.", handler: unsubscribeCommand},
		spec{name: "psubscribe", arity: -2, flags: "pubsub noscript loading stale", group: "pubsub", summary: "Listens for messages published to channels that match one or more patterns.", since: "2.0.0", complexity: "O(N) where N is the number of patterns to subscribe to.", handler: psubscribeCommand},
		spec{name: "punsubscribe", arity: -1, flags: "pubsub noscript loading stale", group: "pubsub", summary: "Stops listening to messages published to channels that match one or more patterns.", since: "2.0.0", complexity: "O(N) where N is the number of patterns to unsubscribe.", handler: punsubscribeCommand},
		spec{name: "ssubscribe", arity: -2, flags: "pubsub noscript loading stale", first: 1, last: -1, step: 1, group: "pubsub", summary: "Listens for messages published to shard channels.", since: "7.0.0", complexity: "O(N) where N is the number of shard channels to subscribe to.", handler: ssubscribeCommand},
		spec{name: "sunsubscribe", arity: -1, flags: "pubsub noscript loading stale", first: 1, last: -1, step: 1, group: "pubsub", summary: "Stops listening to messages posted to shard channels.", since: "7.0.0", complexity: "O(N) where N is the number of shard channels to unsubscribe.", handler: sunsubscribeCommand},
		spec{name: "publish", arity: 3, flags: "pubsub loading stale fast may_replicate", group: "pubsub", summary: "Posts a message to a channel.", since: "2.0.0", complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).", handler: publishCommand},
		spec{name: "spublish", arity: 3, flags: "pubsub loading stale fast may_replicate", first: 1, last: 1, step: 1, group: "pubsub", summary: "Post a message to a shard channel", since: "7.0.0", complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.", handler: spublishCommand},
		spec{name: "pubsub", arity: -2, group: "pubsub", summary: "A container for Pub/Sub commands.", since: "2.8.0", subs: []spec{
			{name: "channels", arity: -2, flags: "pubsub loading stale", summary: "Returns the active channels.", since: "2.8.0",
				handler: func(c *Client, args [][]byte) { pubsubChannels(c, args, c.srv.pubsub.channels) }},
			{name: "numsub", arity: -2, flags: "pubsub loading stale", summary: "Returns a count of subscribers to channels.", since: "2.8.0",
				handler: func(c *Client, args [][]byte) { pubsubNumsub(c, args, c.srv.pubsub.channels) }},
			{name: "numpat", arity: 2, flags: "pubsub loading stale", summary: "Returns a count of unique pattern subscriptions.", since: "2.8.0",
				handler: func(c *Client, args [][]byte) { c.W().Int(int64(len(c.srv.pubsub.patterns))) }},
			{name: "shardchannels", arity: -2, flags: "pubsub loading stale", summary: "Returns the active shard channels.", since: "7.0.0",
				handler: func(c *Client, args [][]byte) { pubsubChannels(c, args, c.srv.pubsub.shard) }},
			{name: "shardnumsub", arity: -2, flags: "pubsub loading stale", summary: "Returns the count of subscribers of shard channels.", since: "7.0.0",
				handler: func(c *Client, args [][]byte) { pubsubNumsub(c, args, c.srv.pubsub.shard) }},
			{name: "help", arity: 2, flags: "loading stale", summary: "Returns helpful text about the different subcommands.", since: "6.2.0",
				handler: func(c *Client, args [][]byte) {
					helpReply(c, "PUBSUB", []string{
						"CHANNELS [<pattern>]", "    Return the currently active channels matching a <pattern> (default: '*').",
						"NUMPAT", "    Return number of subscriptions to patterns.",
						"NUMSUB [<channel> ...]", "    Return the number of subscribers for the specified channels, excluding",
						"    pattern subscriptions(default: no channels).",
						"SHARDCHANNELS [<pattern>]", "    Return the currently active shard level channels matching a <pattern> (default: '*').",
						"SHARDNUMSUB [<shardchannel> ...]", "    Return the number of subscribers for the specified shard level channel(s)",
					})
				}},
		}},
	)
}
