package sentinel

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/valkey-node/valkey-node/server"
)

// Timing holds the periods SENTINEL DEBUG shows and changes (spec §5.5), with Valkey's defaults.
type Timing struct {
	InfoPeriod             time.Duration // info-period: INFO to primaries and replicas
	PingPeriod             time.Duration // ping-period
	AskPeriod              time.Duration // ask-period: is-master-down-by-addr while SDOWN
	PublishPeriod          time.Duration // publish-period: hello messages
	DefaultDownAfter       time.Duration // default-down-after
	TiltTrigger            time.Duration // tilt-trigger: a timer gap this long (or backwards) enters TILT
	TiltPeriod             time.Duration // tilt-period
	SlaveReconfTimeout     time.Duration // slave-reconf-timeout
	MinLinkReconnectPeriod time.Duration // min-link-reconnect-period
	DefaultFailoverTimeout time.Duration // default-failover-timeout
	ElectionTimeout        time.Duration // election-timeout
	ScriptMaxRuntime       time.Duration // script-max-runtime
	ScriptRetryDelay       time.Duration // script-retry-delay
}

// DefaultTiming is Valkey's.
func DefaultTiming() Timing {
	return Timing{
		InfoPeriod: 10 * time.Second, PingPeriod: time.Second, AskPeriod: time.Second,
		PublishPeriod: 2 * time.Second, DefaultDownAfter: 30 * time.Second, TiltTrigger: 2 * time.Second,
		TiltPeriod: 30 * time.Second, SlaveReconfTimeout: 10 * time.Second,
		MinLinkReconnectPeriod: 15 * time.Second, DefaultFailoverTimeout: 180 * time.Second,
		ElectionTimeout: 10 * time.Second, ScriptMaxRuntime: 60 * time.Second, ScriptRetryDelay: 30 * time.Second,
	}
}

// Sentinel is one sentinel's state. Everything below mu is guarded by it.
type Sentinel struct {
	srv *server.Server
	log zerolog.Logger

	mu           sync.Mutex
	myID         string // 40 hex, persisted as "sentinel myid"
	currentEpoch uint64
	masters      map[string]*Instance // by name
	// masterOrder keeps SENTINEL MASTERS and INFO in the order primaries were added.
	masterOrder []string

	announceIP          string
	announcePort        int
	resolveHostnames    bool
	announceHostnames   bool
	denyScriptsReconfig bool
	sentinelUser        string
	sentinelPass        string
	// requirePass is the sentinel's own requirepass, used towards other sentinels without sentinel-pass
	requirePass string

	timing Timing

	tilt          bool
	tiltStart     time.Time
	previousTick  time.Time
	simFailure    uint32 // SIMULATE-FAILURE flags
	runningScript int
	scriptQueue   []*script

	// myPort is the port this sentinel announces (the listener's, or announce-port); set by Start.
	myPort int
	// tlsLinks is tls-replication: every outgoing link uses TLS.
	tlsLinks bool

	events   chan event    // published and logged by deliverEvents
	flushReq chan struct{} // config rewrite requests, served by flushLoop
	stop     chan struct{}
	wg       sync.WaitGroup
	started  bool
}

// New returns a sentinel with no primaries; the configuration file's "sentinel" lines reach it through
// the server (Mode.SetDirective) while server.New loads the file.
func New() *Sentinel {
	return &Sentinel{
		masters:             map[string]*Instance{},
		denyScriptsReconfig: true,
		timing:              DefaultTiming(),
		events:              make(chan event, 1024),
		flushReq:            make(chan struct{}, 1),
		stop:                make(chan struct{}),
	}
}

// Attach connects the sentinel to the server that runs it (after server.New, before Start).
func (s *Sentinel) Attach(srv *server.Server) {
	s.srv = srv
	s.log = srv.Logger()
}

// Start begins monitoring: it must run after the server's Start (the announced port is the listener's).
// A sentinel without a myid gets one, and the configuration is written at once so it survives a crash,
// as Valkey does.
func (s *Sentinel) Start() error {
	// the server's values are read before taking s.mu: the lock order is server lock → s.mu, and
	// clients may already be running SENTINEL commands
	listenPort, tlsLinks, requirePass := s.srv.ListenPort(), s.srv.TLSReplication(), s.srv.RequirePass()
	s.mu.Lock()
	newID := false
	if s.myID == "" {
		s.myID = randomID()
		newID = true
	}
	s.myPort = s.announcePort
	if s.myPort == 0 {
		s.myPort = listenPort
	}
	s.tlsLinks = tlsLinks
	s.requirePass = requirePass
	s.previousTick = time.Now()
	s.started = true
	s.mu.Unlock()
	if newID {
		if err := s.srv.RewriteConfig(); err != nil {
			return fmt.Errorf("sentinel: writing the new sentinel myid to the config file: %w", err)
		}
	}
	s.log.Warn().Str("myid", s.myID).Msg("Sentinel ID is " + s.myID)
	s.mu.Lock()
	for _, name := range s.masterOrder {
		m := s.masters[name]
		s.eventLocked(zerolog.WarnLevel, "+monitor", m, "quorum %d", m.Quorum)
	}
	s.mu.Unlock()
	s.wg.Add(2)
	go s.deliverEvents()
	go s.flushLoop()
	s.startEngine()
	return nil
}

// Stop ends monitoring and waits for the sentinel's goroutines. Call it before the server's Shutdown.
func (s *Sentinel) Stop() {
	s.mu.Lock()
	if !s.started {
		s.mu.Unlock()
		return
	}
	s.started = false
	s.mu.Unlock()
	s.stopEngine()
	close(s.stop)
	s.wg.Wait()
}

// MyID is this sentinel's id.
func (s *Sentinel) MyID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.myID
}

// flushConfig asks for the configuration file to be rewritten (spec §5.2: after every state change). It
// may be called with s.mu held: the rewrite runs on flushLoop, which takes the server lock first.
func (s *Sentinel) flushConfig() {
	select {
	case s.flushReq <- struct{}{}:
	default: // a rewrite is already pending and will include this change
	}
}

// flushLoop serves flushConfig.
func (s *Sentinel) flushLoop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.stop:
			s.flushNow()
			return
		case <-s.flushReq:
			s.flushNow()
		}
	}
}

// flushNow rewrites the configuration file; a failure is logged (the state stays in memory and the next
// change tries again), as Valkey does.
func (s *Sentinel) flushNow() {
	if err := s.srv.RewriteConfig(); err != nil {
		s.log.Warn().Err(err).Msg("WARNING: Sentinel was not able to save the new configuration on disk!!!")
	}
}

// Name implements server.Mode.
func (s *Sentinel) Name() string { return "sentinel" }

// sentinelCommands are the node's commands a sentinel keeps (spec §5.5).
var sentinelCommands = map[string]bool{
	"ping": true, "info": true, "role": true, "auth": true, "hello": true, "client": true, "command": true,
	"acl": true, "subscribe": true, "psubscribe": true, "unsubscribe": true, "punsubscribe": true,
	"publish": true, "shutdown": true, "quit": true, "reset": true,
}

// Keeps implements server.Mode.
func (s *Sentinel) Keeps(name string) bool { return sentinelCommands[name] }

func randomID() string {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("sentinel: reading random bytes: %v", err))
	}
	return hex.EncodeToString(b[:])
}

var _ server.Mode = (*Sentinel)(nil)
