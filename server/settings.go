package server

// Settings holds the value of every directive. The config table in directives.go binds each directive to
// one field. Fields are read and written only with the server lock held, except where noted.
type Settings struct {
	// network
	Bind           []string
	Port           int64
	TLSPort        int64
	UnixSocket     string
	UnixSocketPerm int64
	ProtectedMode  bool
	MaxClients     int64
	Timeout        int64
	TCPKeepalive   int64
	TCPBacklog     int64

	// TrackingTableMaxKeys is tracking-table-max-keys (0: no limit)
	TrackingTableMaxKeys int64

	// general
	Databases int64
	Dir       string
	PidFile   string
	Daemonize bool
	LogLevel  string
	LogFile   string
	LogFormat string
	Hz        int64

	// limits
	ProtoMaxBulkLen        int64
	ClientQueryBufferLimit int64

	// introspection
	SlowlogLogSlowerThan    int64
	SlowlogMaxLen           int64
	LatencyMonitorThreshold int64
	LatencyTracking         bool
	// LatencyTrackingPercentiles is latency-tracking-info-percentiles (INFO latencystats)
	LatencyTrackingPercentiles []float64
	// EnableDebugCommand is enable-debug-command: yes, no or local
	EnableDebugCommand string

	// security
	RequirePass      string
	ACLLogMaxLen     int64  // acllog-max-len
	ACLPubsubDefault string // acl-pubsub-default

	// persistence directives that are accepted only at their "off" value until persistence exists
	// Persist holds the RDB directives (persist_config.go).
	Persist persistSettings
	// Cluster holds the cluster directives (cluster_config.go).
	Cluster clusterSettings
	// Repl holds the replication directives (repl_config.go).
	Repl replSettings
	// AOF holds the append-only file directives (persist_aof.go).
	AOF aofSettings

	// NotifyKeyspaceEvents is notify-keyspace-events as class bits (notify.go).
	NotifyKeyspaceEvents int

	// List holds the list directives (list-max-listpack-size, list-compress-depth; cmd_list.go).
	List listSettings

	// ZSet holds the sorted set directives (zset-max-listpack-entries/-value; cmd_zset.go).
	ZSet zsetSettings

	// Hash and Set hold the hash and set encoding thresholds (hash-max-listpack-*, set-max-*; cmd_hash.go,
	// cmd_set.go).
	Hash hashSettings
	Set  setSettings

	// HLLSparseMaxBytes is hll-sparse-max-bytes (cmd_hll.go).
	HLLSparseMaxBytes int64

	// Memory holds maxmemory, its policy and tuning, and the lazyfree-lazy-* switches (memory_config.go).
	Memory memorySettings

	// OutputLimits is client-output-buffer-limit, by class: normal, replica, pubsub.
	OutputLimits [3]obufLimit

	// TLS
	TLS TLSSettings
}

// TLSSettings are the tls-* directives.
type TLSSettings struct {
	CertFile, KeyFile, KeyFilePass                   string
	ClientCertFile, ClientKeyFile, ClientKeyFilePass string
	DHParamsFile                                     string
	CAFile, CADir                                    string
	AuthClients                                      string
	AuthClientsUser                                  string
	Replication, Cluster                             bool
	Protocols, Ciphers, CipherSuites                 string
	PreferServerCiphers                              bool
	SessionCaching                                   bool
	SessionCacheSize, SessionCacheTimeout            int64
	AutoReloadInterval                               int64
	ExpiryWarningDays                                int64
}
