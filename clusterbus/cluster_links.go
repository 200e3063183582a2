package clusterbus

import (
	"cmp"
	"net"
	"slices"
	"strconv"
)

// LinksReply is CLUSTER LINKS: one map per long-lived bus connection to or from a known node, built
// from the transport's connections: {direction: to|from, node, create-time (ms), events, send-buffer-
// allocated, send-buffer-used}. A link is matched to a node by the bus address the node announces;
// connections of peers not (or no longer) known here are left out, as Valkey has no such links. Links
// are listed by node id, this node's link to a node before the node's link to it. events is "r" for a
// link read from (every link: an outbound link's reader notices the peer closing it) plus "w" while
// bytes wait to be written, as Valkey shows its event loop's handlers.
func (c *Cluster) LinksReply() Array {
	links := c.tr.Links()
	c.mu.Lock()
	byAddr := make(map[string]*Node)
	for _, n := range c.st.Nodes() {
		if !n.IsMyself() && n.IP != "" && n.BusPort > 0 {
			byAddr[net.JoinHostPort(n.IP, strconv.Itoa(n.BusPort))] = n
		}
	}
	c.mu.Unlock()
	type entry struct {
		node string
		l    BusLink
	}
	var es []entry
	for _, l := range links {
		if n := byAddr[l.Peer]; n != nil {
			es = append(es, entry{n.ID, l})
		}
	}
	slices.SortStableFunc(es, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.node, b.node), cmp.Compare(btoi(a.l.Inbound), btoi(b.l.Inbound)))
	})
	out := make(Array, 0, len(es))
	for _, e := range es {
		dir, events := "to", "r"
		if e.l.Inbound {
			dir = "from"
		} else if e.l.SendBufUsed > 0 {
			events = "rw"
		}
		out = append(out, Map{
			{"direction", Bulk(dir)},
			{"node", Bulk(e.node)},
			{"create-time", Int(e.l.Created)},
			{"events", Bulk(events)},
			{"send-buffer-allocated", Int(e.l.SendBufAllocated)},
			{"send-buffer-used", Int(e.l.SendBufUsed)},
		})
	}
	return out
}
