// Package server is the node: configuration, listeners, clients, the command table and the keyspace.
//
// Every command runs with Server.mu held, which gives the same total order as Valkey's main thread (and so
// MULTI/EXEC, WATCH and the replication stream for free). Reading and parsing requests, encoding replies
// and TLS run outside the lock, on every core, in one goroutine per connection.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/valkey-node/valkey-node/clusterbus"
	"github.com/valkey-node/valkey-node/server/config"
	"github.com/valkey-node/valkey-node/server/keyspace"
	"github.com/valkey-node/valkey-node/server/logging"
	"github.com/valkey-node/valkey-node/tlsmat"
)

// Version is the valkey-node version; RedisVersion is the compatibility version reported as redis_version,
// which clients use to decide what they may send.
var (
	Version      = "0.1.0"
	RedisVersion = "7.2.4"
)

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("server: closed")

// Server is one node.
type Server struct {
	mu  sync.Mutex // the execution lock: held while a command runs
	cur *Client    // the client whose command is running (lock held)
	// now is the time the running command started: one clock read per command serves every expiry check
	// and LRU stamp it makes, and gives the command one consistent "now" (Valkey does the same).
	now time.Time
	// clockBase anchors clockNow; cron refreshes it every tick (lock held).
	clockBase time.Time

	cfg  Settings
	reg  *config.Registry
	log  zerolog.Logger
	sink *logging.Sink
	tls  *tlsmat.Manager
	// ownTLS is set when the node made its manager and so must close it
	ownTLS bool

	dbs     []*keyspace.DB
	clients map[uint64]*Client
	nextID  uint64
	runID   string
	rng     *mrand.Rand
	started time.Time

	lis   listenerSet
	stats stats

	// dirty counts changes to the data set since the last save (INFO rdb_changes_since_last_save).
	dirty    int64
	lastSave time.Time

	slowlog  slowlog
	latency  latencyMonitor
	info     infoState // what INFO reports beyond the stats counters (info.go)
	cmdStats []cmdStat // per command and subcommand, by Command.ID (info.go)
	monitors map[*Client]struct{}
	watched  map[watchKey]map[*Client]struct{}
	pubsub   pubsubState
	tracking trackingState       // CLIENT TRACKING tables (tracking.go)
	mem      memState            // memory accounting, eviction and lazy free (memory.go, evict.go, lazyfree.go)
	prop     propState           // what the running call propagates to the AOF and replicas (propagate.go)
	snap     snapState           // point-in-time snapshots in progress (snapshot.go)
	persist  persistState        // RDB saves and loading (persist.go)
	aof      aofState            // the append-only file (persist_aof.go)
	repl     replState           // replication: primary side and link (repl.go)
	failover failoverState       // FAILOVER in progress (failover.go)
	cl       *clusterbus.Cluster // the cluster bus, in cluster mode (cluster.go)
	mode     Mode                // sentinel mode, or nil (mode.go)
	// roleReplica mirrors "is a replica" for the log's role letter, read without the lock
	roleReplica atomic.Bool

	// blocking commands: who waits on which key, and the keys signalled by the running command
	blockedKeys  map[watchKey][]*Client
	readyKeys    []watchKey
	readySet     map[watchKey]bool
	blockedCount int
	pause        pauseState
	acl          *aclState
	// isLocal, if set, replaces the loopback test of protected mode (tests stand in a remote peer).
	isLocal func(net.Addr) bool

	// activeExpire is DEBUG SET-ACTIVE-EXPIRE: the periodic reclaiming of expired keys.
	activeExpire bool

	shuttingDown bool
	shutdownOnce sync.Once
	done         chan struct{} // closed when the node stops
	bg           sync.WaitGroup
	// ShutdownRequested is closed when a client asks for SHUTDOWN; the owner calls Shutdown.
	shutdownReq  chan struct{}
	shutdownSent bool
}

// Options are what New needs besides directives.
type Options struct {
	// ConfigFile is the path of valkey.conf ("" for none, "-" for standard input).
	ConfigFile string
	// Args are directives given on the command line, applied after the file.
	Args []config.Option
	// LogWriter, if set, receives the log instead of logfile/stdout (tests).
	LogWriter interface {
		Write([]byte) (int, error)
	}
	// TLS, if set, is the process's certificate manager (shared with other roles); otherwise New makes one.
	TLS *tlsmat.Manager
	// Mode, if set, runs the node as a sentinel (mode.go).
	Mode Mode
}

// New reads the configuration and prepares a node; it does not listen yet.
func New(opts Options) (*Server, error) {
	s := &Server{
		reg:          config.NewRegistry(),
		clients:      map[uint64]*Client{},
		monitors:     map[*Client]struct{}{},
		watched:      map[watchKey]map[*Client]struct{}{},
		blockedKeys:  map[watchKey][]*Client{},
		readySet:     map[watchKey]bool{},
		done:         make(chan struct{}),
		shutdownReq:  make(chan struct{}),
		started:      time.Now(),
		clockBase:    time.Now(),
		lastSave:     time.Now(),
		activeExpire: true,
	}
	s.persist.lastBgOK = true
	s.persist.finalDone = true // nothing to save until the data set is loaded (Start)
	s.reg.Version = Version
	s.rng = mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))
	s.runID = randomHex(40)
	s.info.init()
	s.acl = newACLState(s)
	s.pubsub.init()
	s.registerDirectives()
	s.mode = opts.Mode
	if s.mode != nil {
		s.registerModeDirective()
	}
	if err := s.reg.SetDefaults(); err != nil {
		return nil, err
	}
	if err := s.reg.Load(opts.ConfigFile, opts.Args); err != nil {
		return nil, err
	}
	if err := s.acl.loadConfigured(); err != nil {
		return nil, err
	}
	if err := s.checkStartup(); err != nil {
		return nil, err
	}
	if s.mode != nil {
		if err := s.checkModeStartup(opts.ConfigFile); err != nil {
			return nil, err
		}
	}
	level, err := logging.ParseLevel(s.cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	if opts.LogWriter != nil {
		s.sink = logging.ToWriter(opts.LogWriter, s.cfg.LogFormat, level)
	} else if s.sink, err = logging.Open(s.cfg.LogFile, s.cfg.LogFormat, level); err != nil {
		return nil, err
	}
	s.sink.Role = func() byte {
		if s.mode != nil {
			return 'X' // Valkey's letter for a sentinel
		}
		if s.roleReplica.Load() {
			return 'S'
		}
		return 'M'
	}
	s.log = s.sink.Logger()
	s.dbs = make([]*keyspace.DB, s.cfg.Databases)
	for i := range s.dbs {
		s.dbs[i] = keyspace.NewDB(i)
	}
	s.slowlog.init()
	s.latency.init()
	s.tls = opts.TLS
	if s.tls == nil {
		s.tls = tlsmat.New(s.log)
		s.ownTLS = true
	}
	if err := s.tls.Load(s.tlsConfig()); err != nil {
		if s.ownTLS {
			s.tls.Close()
		}
		s.sink.Close()
		return nil, fmt.Errorf("Failed to configure TLS. Check logs for more info: %w", err)
	}
	if err := s.tls.SetAuthClients(s.cfg.TLS.AuthClients); err != nil {
		return nil, err
	}
	s.tls.SetExpiryWarningDays(int(s.cfg.TLS.ExpiryWarningDays))
	s.tls.SetAutoReload(time.Duration(s.cfg.TLS.AutoReloadInterval) * time.Second)
	return s, nil
}

// checkStartup verifies rules that involve several directives.
func (s *Server) checkStartup() error {
	if s.cfg.Port == 0 && s.cfg.TLSPort == 0 && s.cfg.UnixSocket == "" {
		return errors.New("configured to not listen anywhere (port 0, tls-port 0 and no unixsocket): exiting")
	}
	return nil
}

// Registry exposes the directive table (check-tls and tests read it).
func (s *Server) Registry() *config.Registry { return s.reg }

// Logger is the node's logger.
func (s *Server) Logger() zerolog.Logger { return s.log }

// ShutdownRequested is closed when a client issued SHUTDOWN.
func (s *Server) ShutdownRequested() <-chan struct{} { return s.shutdownReq }

// Start opens the listeners, writes the pid file and starts the periodic tasks. Connections are served in
// the background until Shutdown.
func (s *Server) Start() error {
	if s.mode == nil { // a sentinel has no data set
		if err := s.loadOnStart(); err != nil {
			return err
		}
	}
	if s.cfg.Cluster.Enabled {
		if err := s.openCluster(); err != nil {
			return fmt.Errorf("cluster bus: %w", err)
		}
	}
	s.mu.Lock()
	s.initReplication()
	err := s.applyListenersLocked(true)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if s.cfg.PidFile != "" {
		if err := os.WriteFile(s.cfg.PidFile, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644); err != nil {
			s.log.Warn().Err(err).Str("pidfile", s.cfg.PidFile).Msg("Failed to write PID file")
		}
	}
	s.bg.Add(1)
	go s.cron()
	tlsState := "off"
	if s.tls.Configured() {
		tlsState = "on"
	}
	s.log.Info().Str("version", Version).Str("redis_version", RedisVersion).Int("pid", os.Getpid()).
		Int64("port", s.cfg.Port).Int64("tls_port", s.cfg.TLSPort).Str("tls", tlsState).
		Str("run_id", s.runID).Msg("valkey-node started, ready to accept connections")
	return nil
}

// Addr returns the address a listener of the given kind ("tcp", "tls", "unix") is bound to, for tests that
// listen on port 0... ("" if none).
func (s *Server) Addr(kind string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lis.addr(kind)
}

// Shutdown stops accepting, closes every client after its in-flight reply, stops background tasks and
// removes the pid file. It is safe to call more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() {
		s.mu.Lock()
		s.shuttingDown = true
		s.lis.closeAll()
		if !s.persist.finalDone {
			// an owner that did not call PrepareShutdown (tests, embedding): save as SHUTDOWN would
			_ = s.finalSave(false)
			s.persist.finalDone = true
		}
		s.stopBgsave()
		if err := s.detachAOF(); err != nil {
			s.log.Warn().Err(err).Msg("Error closing the append only file")
		}
		close(s.done)
		s.mu.Unlock()
		s.stopReplication()
		if s.cl != nil {
			if err := s.cl.Close(); err != nil {
				s.log.Warn().Err(err).Msg("Closing the cluster bus")
			}
		}
		s.mu.Lock()
		clients := make([]*Client, 0, len(s.clients))
		for _, c := range s.clients {
			clients = append(clients, c)
		}
		s.mu.Unlock()
		for _, c := range clients {
			c.closeAfterFlush()
		}
		if s.ownTLS {
			s.tls.Close()
		} else {
			s.tls.SetAutoReload(0)
		}
		s.log.Info().Msg("valkey-node is now ready to exit, bye bye...")
		if s.cfg.PidFile != "" {
			os.Remove(s.cfg.PidFile)
		}
	})
	waitDone := make(chan struct{})
	go func() { s.bg.Wait(); close(waitDone) }()
	select {
	case <-waitDone:
	case <-ctx.Done():
		s.mu.Lock()
		for _, c := range s.clients {
			c.conn.Close()
		}
		s.mu.Unlock()
		<-waitDone
	}
	return s.sink.Close()
}

// Done is closed when the node has begun shutting down.
func (s *Server) Done() <-chan struct{} { return s.done }

func (s *Server) requestShutdown() {
	if !s.shutdownSent {
		s.shutdownSent = true
		close(s.shutdownReq)
	}
}

func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)[:n]
}

// nowMs is the current Unix time in milliseconds.
func nowMs() int64 { return time.Now().UnixMilli() }
