package server

import (
	"fmt"
	"runtime/metrics"
	"strconv"
	"strings"
)

// MEMORY USAGE key [SAMPLES count]: the key's accounting, name and table entries included. Valkey samples
// the elements of large values; the accounting here is exact and O(1), so SAMPLES is checked and has
// nothing left to change. Like Valkey it does not look at the key's expiry.
func memoryUsageCommand(c *Client, args [][]byte) {
	switch {
	case len(args) == 5 && eqFold(args[3], "samples"):
		n, ok := parseInt64(args[4])
		if !ok {
			c.Err(errNotInt)
			return
		}
		if n < 0 {
			c.Err(errSyntax)
			return
		}
	case len(args) != 3:
		c.Err(errSyntax)
		return
	}
	n := c.dbx().KeyMemUsage(args[2])
	if n == 0 {
		c.W().Null()
		return
	}
	c.W().Int(int64(n))
}

// MEMORY STATS: the parts of used_memory, as a map (Valkey's names and order).
func memoryStatsCommand(c *Client, args [][]byte) {
	s := c.srv
	m := s.memBreakdown()
	allocated, active, resident := allocatorStats()
	rss := residentMemory()
	type pair struct {
		name string
		val  any
	}
	out := []pair{
		{"peak.allocated", max(s.mem.peak, m.used)}, {"total.allocated", m.used}, {"startup.allocated", m.startup},
		{"replication.backlog", int64(0)}, {"clients.slaves", int64(0)}, {"clients.normal", m.clients},
		{"cluster.links", int64(0)}, {"aof.buffer", int64(0)}, {"lua.caches", int64(0)}, {"functions.caches", int64(0)},
	}
	for i, db := range s.dbs {
		if db.Len() == 0 {
			continue
		}
		out = append(out, pair{"db." + strconv.Itoa(i), [2]int64{m.mainOverhead[i], m.expiresOverhead[i]}})
	}
	perKey := int64(0)
	if m.keys > 0 {
		perKey = (m.used - m.startup) / m.keys
	}
	out = append(out,
		pair{"overhead.db.hashtable.lut", int64(0)}, pair{"overhead.db.hashtable.rehashing", int64(0)},
		pair{"overhead.total", m.overhead}, pair{"db.dict.rehashing.count", int64(0)},
		pair{"keys.count", m.keys}, pair{"keys.bytes-per-key", perKey},
		pair{"dataset.bytes", m.dataset},
		pair{"dataset.percentage", pct(uint64(m.dataset), uint64(max(m.used-m.startup, 0)))},
		pair{"peak.percentage", pct(uint64(m.used), uint64(max(s.mem.peak, m.used)))},
		pair{"allocator.allocated", int64(allocated)}, pair{"allocator.active", int64(active)},
		pair{"allocator.resident", int64(resident)}, pair{"allocator.muzzy", int64(0)},
		pair{"allocator-fragmentation.ratio", fratio(active, allocated)},
		pair{"allocator-fragmentation.bytes", int64(active) - int64(allocated)},
		pair{"allocator.rss-ratio", fratio(resident, active)}, pair{"allocator.rss-bytes", int64(resident) - int64(active)},
		pair{"rss-overhead.ratio", fratio(rss, resident)}, pair{"rss-overhead.bytes", int64(rss) - int64(resident)},
		pair{"fragmentation", fratio(rss, uint64(m.used))}, pair{"fragmentation.bytes", int64(rss) - m.used},
	)
	w := c.W()
	w.Map(len(out))
	for _, p := range out {
		w.Simple(p.name)
		switch v := p.val.(type) {
		case int64:
			w.Int(v)
		case float64:
			w.Double(v)
		case [2]int64:
			w.Map(2)
			w.Simple("overhead.hashtable.main")
			w.Int(v[0])
			w.Simple("overhead.hashtable.expires")
			w.Int(v[1])
		}
	}
}

func fratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// doctorMinUsed is the data set below which MEMORY DOCTOR has nothing meaningful to say.
const doctorMinUsed = 5 << 20

// MEMORY DOCTOR: a plain-language look at the figures of MEMORY STATS.
func memoryDoctorCommand(c *Client, args [][]byte) {
	s := c.srv
	m := s.memBreakdown()
	var text string
	if m.used < doctorMinUsed {
		text = fmt.Sprintf("This instance uses %s, too little for the memory report to mean anything: "+
			"come back once it holds some data.\n", bytesToHuman(uint64(m.used)))
	} else {
		var issues []string
		if peak := s.mem.peak; float64(peak) > 1.5*float64(m.used) {
			issues = append(issues, fmt.Sprintf("Peak memory: the peak (%s) is more than 1.5 times the memory in use now (%s). "+
				"The process keeps part of that memory until the Go runtime returns it; MEMORY PURGE asks for it now.",
				bytesToHuman(uint64(peak)), bytesToHuman(uint64(m.used))))
		}
		if rss := residentMemory(); float64(rss) > 1.4*float64(m.used) && rss-uint64(m.used) > 10<<20 {
			issues = append(issues, fmt.Sprintf("High RSS: the process holds %s for %s accounted; the difference is "+
				"the Go heap's free space and runtime overhead, which a collection and MEMORY PURGE reduce.",
				bytesToHuman(rss), bytesToHuman(uint64(m.used))))
		}
		if n := int64(len(s.clients)); n > 0 && m.clients/n > 200<<10 {
			issues = append(issues, fmt.Sprintf("Big client buffers: %d clients use %s on average, which usually means "+
				"slow readers or large pipelines; see CLIENT LIST omem and client-output-buffer-limit.",
				n, bytesToHuman(uint64(m.clients/n))))
		}
		if lim := s.cfg.Memory.Maxmemory; lim > 0 && m.used > lim {
			issues = append(issues, fmt.Sprintf("Over maxmemory: %s used for a limit of %s with policy %s.",
				bytesToHuman(uint64(m.used)), bytesToHuman(uint64(lim)), s.cfg.Memory.Policy))
		}
		if len(issues) == 0 {
			text = "No memory issue found in this instance.\n"
		} else {
			text = "Memory issues found in this instance:\n\n * " + strings.Join(issues, "\n\n * ") + "\n"
		}
	}
	c.W().Verbatim(text, "txt")
}

// MEMORY MALLOC-STATS: the Go runtime's memory classes (there is no jemalloc to ask).
func memoryMallocStatsCommand(c *Client, args [][]byte) {
	var names []string
	for _, d := range metrics.All() {
		if strings.HasPrefix(d.Name, "/memory/classes/") && d.Kind == metrics.KindUint64 {
			names = append(names, d.Name)
		}
	}
	samples := make([]metrics.Sample, len(names))
	for i, n := range names {
		samples[i].Name = n
	}
	metrics.Read(samples)
	var b strings.Builder
	b.WriteString("Go runtime memory classes (runtime/metrics):\n")
	for _, smp := range samples {
		fmt.Fprintf(&b, "%s %d\n", smp.Name, smp.Value.Uint64())
	}
	c.W().BulkString(b.String())
}

// MEMORY PURGE: a collection and a return of free memory to the system, run by the background freer so
// the executor does not wait for it.
func memoryPurgeCommand(c *Client, args [][]byte) {
	c.srv.lazyPurge()
	c.W().OK()
}

var memoryHelp = []string{
	"DOCTOR",
	"    Return memory problems reports.",
	"MALLOC-STATS",
	"    Return internal statistics report from the memory allocator.",
	"PURGE",
	"    Attempt to purge dirty pages for reclamation by the allocator.",
	"STATS",
	"    Return information about the memory usage of the server.",
	"USAGE <key> [SAMPLES <count>]",
	"    Return memory in bytes used by <key> and its value. Nested values are",
	"    sampled up to <count> times (default: 5, 0 means sample all).",
}

func memoryHelpCommand(c *Client, args [][]byte) { helpReply(c, "MEMORY", memoryHelp) }

func init() {
	register(spec{name: "memory", arity: -2, group: "server", summary: "A container for memory diagnostics commands.", since: "4.0.0", complexity: "Depends on subcommand.",
		subs: []spec{
			{name: "doctor", arity: 2, summary: "Outputs a memory problems report.", since: "4.0.0", complexity: "O(1)", handler: memoryDoctorCommand},
			{name: "malloc-stats", arity: 2, summary: "Returns the allocator statistics.", since: "4.0.0", complexity: "Depends on how much memory is allocated, could be slow", handler: memoryMallocStatsCommand},
			{name: "purge", arity: 2, summary: "Asks the allocator to release memory.", since: "4.0.0", complexity: "Depends on how much memory is allocated, could be slow", handler: memoryPurgeCommand},
			{name: "stats", arity: 2, summary: "Returns details about memory usage.", since: "4.0.0", complexity: "O(1)", handler: memoryStatsCommand},
			{name: "usage", arity: -3, flags: "readonly", first: 2, last: 2, step: 1, summary: "Estimates the memory usage of a key.", since: "4.0.0", complexity: "O(N) where N is the number of samples.", handler: memoryUsageCommand},
			{name: "help", arity: 2, flags: "loading stale", summary: "Returns helpful text about the different subcommands.", since: "4.0.0", complexity: "O(1)", handler: memoryHelpCommand},
		}})
}
