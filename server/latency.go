package server

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strings"
	"time"
)

// ---- LATENCY monitor ---------------------------------------------------------------------------------

const latencyHistoryLen = 160

type latencySample struct {
	time int64 // unix seconds
	ms   int64
}

type latencyEvent struct {
	samples []latencySample
	max     int64
}

// latencyMonitor records events that took at least latency-monitor-threshold milliseconds.
type latencyMonitor struct {
	events map[string]*latencyEvent
}

func (l *latencyMonitor) init()  { l.events = map[string]*latencyEvent{} }
func (l *latencyMonitor) reset() { l.events = map[string]*latencyEvent{} }

func (l *latencyMonitor) maybeAdd(s *Server, cmd *Command, d time.Duration) {
	th := s.cfg.LatencyMonitorThreshold
	if th == 0 || d < time.Duration(th)*time.Millisecond {
		return
	}
	ev := "command"
	if cmd.Flags&flagFast != 0 {
		ev = "fast-command"
	}
	l.add(ev, d.Milliseconds())
}

// add records a sample; samples within the same second keep the larger value.
func (l *latencyMonitor) add(event string, ms int64) {
	e := l.events[event]
	if e == nil {
		e = &latencyEvent{}
		l.events[event] = e
	}
	now := time.Now().Unix()
	if ms > e.max {
		e.max = ms
	}
	if n := len(e.samples); n > 0 && e.samples[n-1].time == now {
		if ms > e.samples[n-1].ms {
			e.samples[n-1].ms = ms
		}
		return
	}
	e.samples = append(e.samples, latencySample{now, ms})
	if len(e.samples) > latencyHistoryLen {
		e.samples = e.samples[1:]
	}
}

func latencyLatest(c *Client, args [][]byte) {
	l := &c.srv.latency
	names := make([]string, 0, len(l.events))
	for k := range l.events {
		names = append(names, k)
	}
	sort.Strings(names)
	w := c.W()
	w.Array(len(names))
	for _, n := range names {
		e := l.events[n]
		last := e.samples[len(e.samples)-1]
		w.Array(4)
		w.BulkString(n)
		w.Int(last.time)
		w.Int(last.ms)
		w.Int(e.max)
	}
}

func latencyHistory(c *Client, args [][]byte) {
	e := c.srv.latency.events[strings.ToLower(string(args[2]))]
	w := c.W()
	if e == nil {
		w.Array(0)
		return
	}
	w.Array(len(e.samples))
	for _, s := range e.samples {
		w.Array(2)
		w.Int(s.time)
		w.Int(s.ms)
	}
}

func latencyReset(c *Client, args [][]byte) {
	l := &c.srv.latency
	if len(args) == 2 {
		n := len(l.events)
		l.reset()
		c.W().Int(int64(n))
		return
	}
	n := 0
	for _, a := range args[2:] {
		k := strings.ToLower(string(a))
		if _, ok := l.events[k]; ok {
			delete(l.events, k)
			n++
		}
	}
	c.W().Int(int64(n))
}

// latencyHistogramCmd implements LATENCY HISTOGRAM [command ...]: per-command call counts in power-of-two
// microsecond buckets, as a map.
func latencyHistogramCmd(c *Client, args [][]byte) {
	var cmds []*Command
	if len(args) == 2 {
		for _, cmd := range commandList {
			if c.srv.cstat(cmd).histCount() > 0 {
				cmds = append(cmds, cmd)
			}
		}
	} else {
		for _, a := range args[2:] {
			parts := strings.SplitN(strings.ToLower(string(a)), "|", 2)
			cmd := commandTable[parts[0]]
			if cmd != nil && len(parts) == 2 {
				cmd = cmd.Subs[parts[1]]
			}
			if cmd != nil && c.srv.cstat(cmd).histCount() > 0 {
				cmds = append(cmds, cmd)
			}
		}
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].FullName() < cmds[j].FullName() })
	w := c.W()
	w.Map(len(cmds))
	for _, cmd := range cmds {
		w.BulkString(cmd.FullName())
		w.Map(2)
		w.BulkString("calls")
		h := c.srv.cstat(cmd).hist
		w.Int(h.count)
		w.BulkString("histogram_usec")
		// cumulative counts per power-of-two bucket, as Valkey
		type bucket struct{ le, n int64 }
		var bs []bucket
		var cum int64
		for i, n := range h.pow2() {
			if n == 0 {
				continue
			}
			cum += n
			bs = append(bs, bucket{int64(1) << i, cum})
		}
		w.Map(len(bs))
		for _, b := range bs {
			w.Int(b.le)
			w.Int(b.n)
		}
	}
}

func init() {
	register(spec{name: "latency", arity: -2, group: "server", summary: "A container for latency diagnostics commands.", since: "2.8.13",
		subs: []spec{
			{name: "latest", arity: 2, flags: "admin noscript loading stale", summary: "Returns the latest latency samples for all events.", since: "2.8.13", handler: latencyLatest},
			{name: "history", arity: 3, flags: "admin noscript loading stale", summary: "Returns timestamp-latency samples for an event.", since: "2.8.13", handler: latencyHistory},
			{name: "reset", arity: -2, flags: "admin noscript loading stale", summary: "Resets the latency data for one or more events.", since: "2.8.13", handler: latencyReset},
			{name: "histogram", arity: -2, flags: "admin noscript loading stale", summary: "Returns the cumulative distribution of latencies of a subset or all commands.", since: "7.0.0", handler: latencyHistogramCmd},
			{name: "doctor", arity: 2, flags: "admin noscript loading stale", summary: "Returns a human-readable latency analysis report.", since: "2.8.13", handler: latencyDoctor},
			{name: "graph", arity: 3, flags: "admin noscript loading stale", summary: "Returns a latency graph for an event.", since: "2.8.13", handler: latencyGraph},
			{name: "help", arity: 2, flags: "loading stale", summary: "Returns helpful text about the different subcommands.", since: "2.8.13",
				handler: func(c *Client, args [][]byte) {
					helpReply(c, "LATENCY", []string{
						"DOCTOR", "    Return a human readable latency analysis report.",
						"GRAPH <event>", "    Return an ASCII latency graph for the <event> class.",
						"HISTORY <event>", "    Return time-latency samples for the <event> class.",
						"LATEST", "    Return the latest latency samples for all events.",
						"RESET [<event> ...]", "    Reset latency data of one or more <event> classes.",
						"    (default: reset all data for all event classes)",
						"HISTOGRAM [COMMAND ...]", "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
						"    If no commands are specified then all histograms are replied.",
					})
				}},
		}})
}

func latencyDoctor(c *Client, args [][]byte) {
	l := &c.srv.latency
	var b strings.Builder
	if len(l.events) == 0 {
		b.WriteString("I have no latency reports to show you at this time. Either latency monitoring is disabled " +
			"(latency-monitor-threshold is 0) or no event crossed the threshold.\n")
	} else {
		names := make([]string, 0, len(l.events))
		for k := range l.events {
			names = append(names, k)
		}
		sort.Strings(names)
		for i, n := range names {
			e := l.events[n]
			var sum int64
			for _, s := range e.samples {
				sum += s.ms
			}
			fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, max %dms).\n", i+1, n, len(e.samples),
				sum/int64(len(e.samples)), e.max)
		}
	}
	c.W().Verbatim(b.String(), "txt")
}

func latencyGraph(c *Client, args [][]byte) {
	name := strings.ToLower(string(args[2]))
	e := c.srv.latency.events[name]
	if e == nil {
		c.Err(fmt.Sprintf("ERR No samples available for event '%s'", name))
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", name, maxSample(e), minSample(e), e.max)
	b.WriteString(strings.Repeat("-", 80) + "\n")
	for _, s := range e.samples {
		bar := int(s.ms * 40 / max(e.max, 1))
		fmt.Fprintf(&b, "%s %s %dms\n", time.Unix(s.time, 0).UTC().Format("15:04:05"), strings.Repeat("#", bar+1), s.ms)
	}
	c.W().Verbatim(b.String(), "txt")
}

func maxSample(e *latencyEvent) int64 {
	var m int64
	for _, s := range e.samples {
		m = max(m, s.ms)
	}
	return m
}

func minSample(e *latencyEvent) int64 {
	m := int64(math.MaxInt64)
	for _, s := range e.samples {
		m = min(m, s.ms)
	}
	return m
}

// ---- per-command latency histogram (INFO latencystats) -----------------------------------------------

// latencyHistogram counts durations in log-linear buckets: for each power of two of nanoseconds, 16
// sub-buckets. Percentiles come out within about 6% of the true value, enough for p50/p99/p99.9.
type latencyHistogram struct {
	count   int64
	buckets [64 * 16]int64
}

func (h *latencyHistogram) record(d time.Duration) {
	ns := uint64(d)
	if ns < 16 {
		ns = 16
	}
	exp := 63 - bits.LeadingZeros64(ns) // ns in [2^exp, 2^(exp+1))
	sub := (ns >> (exp - 4)) & 15
	h.buckets[exp*16+int(sub)]++
	h.count++
}

// percentile returns the value in microseconds below which p percent of the samples fall.
func (h *latencyHistogram) percentile(p float64) float64 {
	if h.count == 0 {
		return 0
	}
	target := int64(math.Ceil(p / 100 * float64(h.count)))
	if target < 1 {
		target = 1
	}
	var cum int64
	for i, n := range h.buckets {
		cum += n
		if cum >= target {
			exp, sub := i/16, i%16
			upper := (uint64(16+sub+1) << (exp - 4)) // upper edge of the bucket in ns
			return float64(upper) / 1000
		}
	}
	return 0
}

// pow2 folds the histogram into power-of-two microsecond buckets (index i = up to 2^i µs).
func (h *latencyHistogram) pow2() []int64 {
	out := make([]int64, 40)
	for i, n := range h.buckets {
		if n == 0 {
			continue
		}
		exp, sub := i/16, i%16
		upperNs := uint64(16+sub+1) << (exp - 4)
		us := (upperNs + 999) / 1000
		b := 0
		for (uint64(1) << b) < us {
			b++
		}
		if b >= len(out) {
			b = len(out) - 1
		}
		out[b] += n
	}
	return out
}
