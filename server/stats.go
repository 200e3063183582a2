package server

import (
	"sort"
	"strings"
)

// stats are the counters INFO stats shows. Guarded by the execution lock.
type stats struct {
	// full and partial resynchronisations served to replicas (INFO stats)
	syncFull, syncPartialOK, syncPartialErr int64
	connectionsReceived                     int64
	rejectedConns                           int64
	commands                                int64
	expiredKeys                             int64
	expiredStalePerc                        float64
	expireCycleTimeUs                       int64
	keyspaceHits                            int64
	keyspaceMisses                          int64
	protocolErrors                          int64
	unknownCommands                         int64
	tlsHandshakeErrors                      int64
	errorReplies                            int64
	aclDeniedAuth                           int64
	aclDeniedCmd                            int64
	aclDeniedKey                            int64
	aclDeniedChannel                        int64
	aclDeniedTLSCert                        int64
	obufDisconnections                      int64
	errorCounts                             map[string]int64
}

// maxErrorKinds bounds the errorstats table against clients that invent error codes (Valkey: 128).
const maxErrorKinds = 128

// countError records an error reply under its code (the first word, e.g. ERR, WRONGTYPE).
func (st *stats) countError(msg string) {
	st.errorReplies++
	code := msg
	if i := strings.IndexByte(msg, ' '); i >= 0 {
		code = msg[:i]
	}
	if st.errorCounts == nil {
		st.errorCounts = map[string]int64{}
	}
	if _, ok := st.errorCounts[code]; !ok && len(st.errorCounts) >= maxErrorKinds {
		return
	}
	st.errorCounts[code]++
}

func (st *stats) errorCodes() []string {
	out := make([]string, 0, len(st.errorCounts))
	for k := range st.errorCounts {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// resetStats implements CONFIG RESETSTAT.
func (s *Server) resetStats() {
	s.stats = stats{}
	s.cmdStats = nil
	// the slow log and the latency monitor are not statistics: Valkey keeps them (SLOWLOG RESET, LATENCY RESET)
	s.info.reset(s)
}
