// Package sentinel is sentinel mode: it watches primaries and their replicas, agrees with the other
// sentinels that a primary is down, elects a leader and fails over, and tells clients where each primary
// is (spec §5).
//
// A Sentinel runs inside a server.Server in sentinel mode (server.Mode): the server owns the listener,
// connections, RESP, AUTH/ACL/CLIENT and pub/sub, and the shared certificate manager; this package adds
// the SENTINEL command, the "sentinel …" directives, the INFO section, and the engine that talks to the
// monitored instances and the other sentinels.
//
// Locking: Sentinel.mu guards every Instance. The server calls the Mode methods with its execution lock
// held and they take Sentinel.mu, so the order is always server lock → Sentinel.mu. The engine therefore
// never calls into the server (Publish, RewriteConfig) while holding Sentinel.mu: events and config
// flushes are queued and delivered by their own goroutines (events.go, sentinel.go).
package sentinel
