package server

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"time"
)

// memBreakdown is used_memory taken apart the way INFO memory and MEMORY STATS show it.
type memBreakdown struct {
	used, startup, clients, dataset, overhead int64
	// tables and entries are per database: the bucket arrays, and the table entries of the keys and of
	// their expiry times (Valkey's overhead.hashtable.main / .expires)
	mainOverhead, expiresOverhead []int64
	keys                          int64
}

// memBreakdown settles the accounting and takes used_memory apart. Lock held.
func (s *Server) memBreakdown() memBreakdown {
	s.memSettleAll()
	b := memBreakdown{startup: s.mem.startup, clients: s.mem.clients}
	b.mainOverhead = make([]int64, len(s.dbs))
	b.expiresOverhead = make([]int64, len(s.dbs))
	b.overhead = b.startup + b.clients
	for i, db := range s.dbs {
		mainEntries, expEntries := db.EntryOverhead()
		tables := int64(db.TableOverhead())
		b.mainOverhead[i] = int64(mainEntries) + tables
		b.expiresOverhead[i] = int64(expEntries)
		b.overhead += b.mainOverhead[i] + b.expiresOverhead[i]
		b.keys += int64(db.Len())
	}
	b.used = s.memUpdatePeak()
	b.dataset = max(b.used-b.overhead, 0)
	return b
}

// allocatorStats reads the Go runtime's view of the heap without stopping the world: what live objects
// use (allocated), the spans holding them (active), and what the heap keeps from the system (resident).
func allocatorStats() (allocated, active, resident uint64) {
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	metrics.Read(samples)
	v := func(i int) uint64 {
		if samples[i].Value.Kind() == metrics.KindUint64 {
			return samples[i].Value.Uint64()
		}
		return 0
	}
	allocated = v(0)
	active = allocated + v(1)
	resident = active + v(2)
	return allocated, active, resident
}

func ratio(a, b uint64) string {
	if b == 0 {
		return "0.00"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

// writeMemoryInfo is INFO memory, with Valkey's fields in Valkey's order. There is no scripting engine,
// replication backlog or AOF buffer to account yet: their fields show 0. Lock held.
func (s *Server) writeMemoryInfo(b *infoBuilder) {
	m := s.memBreakdown()
	used, peak := uint64(m.used), uint64(max(s.mem.peak, m.used))
	rss := residentMemory()
	allocated, active, resident := allocatorStats()
	b.field("used_memory", used)
	b.field("used_memory_human", bytesToHuman(used))
	b.field("used_memory_rss", rss)
	b.field("used_memory_rss_human", bytesToHuman(rss))
	b.field("used_memory_peak", peak)
	b.field("used_memory_peak_human", bytesToHuman(peak))
	b.field("used_memory_peak_perc", fmt.Sprintf("%.2f%%", pct(used, peak)))
	b.field("used_memory_overhead", m.overhead)
	b.field("used_memory_startup", m.startup)
	b.field("used_memory_dataset", m.dataset)
	b.field("used_memory_dataset_perc", fmt.Sprintf("%.2f%%", pct(uint64(m.dataset), uint64(max(m.used-m.startup, 0)))))
	b.field("allocator_allocated", allocated)
	b.field("allocator_active", active)
	b.field("allocator_resident", resident)
	b.field("allocator_muzzy", 0)
	if total := totalSystemMemory(); total > 0 {
		b.field("total_system_memory", total)
		b.field("total_system_memory_human", bytesToHuman(total))
	}
	for _, f := range []string{"used_memory_lua", "used_memory_vm_eval"} {
		b.field(f, 0)
	}
	b.field("used_memory_lua_human", bytesToHuman(0))
	for _, f := range []string{"used_memory_scripts_eval", "number_of_cached_scripts", "number_of_functions",
		"number_of_libraries", "used_memory_vm_functions", "used_memory_vm_total"} {
		b.field(f, 0)
	}
	b.field("used_memory_vm_total_human", bytesToHuman(0))
	b.field("used_memory_functions", 0)
	b.field("used_memory_scripts", 0)
	b.field("used_memory_scripts_human", bytesToHuman(0))
	limit := uint64(s.cfg.Memory.Maxmemory)
	b.field("maxmemory", limit)
	b.field("maxmemory_human", bytesToHuman(limit))
	b.field("maxmemory_policy", s.cfg.Memory.Policy.String())
	b.field("allocator_frag_ratio", ratio(active, allocated))
	b.field("allocator_frag_bytes", int64(active)-int64(allocated))
	b.field("allocator_rss_ratio", ratio(resident, active))
	b.field("allocator_rss_bytes", int64(resident)-int64(active))
	b.field("rss_overhead_ratio", ratio(rss, resident))
	b.field("rss_overhead_bytes", int64(rss)-int64(resident))
	b.field("mem_fragmentation_ratio", ratio(rss, used))
	b.field("mem_fragmentation_bytes", int64(rss)-int64(used))
	b.field("mem_not_counted_for_evict", 0)
	b.field("mem_replication_backlog", 0)
	b.field("mem_total_replication_buffers", 0)
	b.field("mem_clients_slaves", 0)
	b.field("mem_clients_normal", m.clients)
	b.field("mem_cluster_links", 0)
	b.field("mem_aof_buffer", 0)
	b.field("mem_allocator", runtime.Version())
	b.field("mem_overhead_db_hashtable_rehashing", 0)
	b.field("active_defrag_running", 0)
	b.field("lazyfree_pending_objects", s.mem.lazy.pending.Load())
	b.field("lazyfreed_objects", s.mem.lazy.freed.Load())
}

// writeEvictionStats is the eviction part of INFO stats. Lock held.
func (s *Server) writeEvictionStats(b *infoBuilder) {
	ev := &s.mem.evict
	cur := time.Duration(0)
	if !ev.exceededSince.IsZero() {
		cur = time.Since(ev.exceededSince)
	}
	b.field("evicted_keys", ev.keys)
	b.field("evicted_clients", 0)
	b.field("evicted_scripts", 0)
	b.field("total_eviction_exceeded_time", (ev.exceededTotal + cur).Milliseconds())
	b.field("current_eviction_exceeded_time", cur.Milliseconds())
}

// memResetStats is CONFIG RESETSTAT's part: the eviction counters and the peak start again. Lock held.
func (s *Server) memResetStats() {
	ev := &s.mem.evict
	ev.keys, ev.exceededTotal = 0, 0
	if !ev.exceededSince.IsZero() {
		ev.exceededSince = time.Now()
	}
	s.mem.peak = 0
	s.memUpdatePeak()
}
