package server

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/valkey-node/valkey-node/server/config"
)

// persistSettings are the RDB directives.
type persistSettings struct {
	// SavePoints is `save`: a background save starts when at least Changes writes happened in Seconds.
	SavePoints []savePoint
	DBFilename string
	// Compression is rdbcompression (LZF for strings), Checksum rdbchecksum (CRC64 trailer).
	Compression bool
	Checksum    bool
	// StopWritesOnError is stop-writes-on-bgsave-error: refuse writes with MISCONF while the last
	// background save failed.
	StopWritesOnError bool
	// DelSyncFiles is rdb-del-sync-files: remove an RDB written only for replication when persistence is off.
	DelSyncFiles bool
	// KeySaveDelay is rdb-key-save-delay, microseconds slept per key while saving (a testing aid, as in
	// Valkey: it makes a background save last long enough to be observed).
	KeySaveDelay int64
	// IncrementalFsync is rdb-save-incremental-fsync: fsync every 4 MB while saving, so the kernel does not
	// flush one huge burst at the end.
	IncrementalFsync bool
}

// savePoint is one `save <seconds> <changes>` pair.
type savePoint struct{ Seconds, Changes int64 }

// saveValue is the `save` directive: pairs of numbers, "" for none. A configuration file may repeat it, each
// line adding points; CONFIG SET replaces them.
type saveValue struct{ p *[]savePoint }

func (v saveValue) Reset() { *v.p = nil }

func (v saveValue) Set(args []string) error {
	if len(args) == 1 {
		args = strings.Fields(args[0])
	}
	if len(args) == 0 {
		*v.p = nil
		return nil
	}
	if len(args)%2 != 0 {
		return errors.New("Invalid save parameters")
	}
	pts := append([]savePoint(nil), *v.p...)
	for i := 0; i < len(args); i += 2 {
		secs, err1 := strconv.ParseInt(args[i], 10, 64)
		changes, err2 := strconv.ParseInt(args[i+1], 10, 64)
		if err1 != nil || err2 != nil || secs < 1 || changes < 0 {
			return errors.New("Invalid save parameters")
		}
		pts = append(pts, savePoint{secs, changes})
	}
	*v.p = pts
	return nil
}

func (v saveValue) Get() string {
	parts := make([]string, 0, 2*len(*v.p))
	for _, p := range *v.p {
		parts = append(parts, strconv.FormatInt(p.Seconds, 10), strconv.FormatInt(p.Changes, 10))
	}
	return strings.Join(parts, " ")
}

// registerPersistDirectives adds the RDB directives.
func (s *Server) registerPersistDirectives() {
	c := &s.cfg.Persist
	s.reg.Add(
		&config.Directive{Name: "save", Default: "3600 1 300 100 60 10000", Flags: config.Multi, Value: saveValue{&c.SavePoints}},
		&config.Directive{Name: "dbfilename", Default: "dump.rdb", Value: config.String{P: &c.DBFilename, Validate: checkFilename}},
		&config.Directive{Name: "rdbcompression", Default: "yes", Value: config.Bool{P: &c.Compression}},
		&config.Directive{Name: "rdbchecksum", Default: "yes", Value: config.Bool{P: &c.Checksum}, Flags: config.Immutable},
		&config.Directive{Name: "stop-writes-on-bgsave-error", Default: "yes", Value: config.Bool{P: &c.StopWritesOnError}},
		// only replication writes sync-only files, and it does not exist yet
		&config.Directive{Name: "rdb-del-sync-files", Default: "no", Value: boolNotYet("rdb-del-sync-files", &c.DelSyncFiles)},
		&config.Directive{Name: "rdb-key-save-delay", Default: "0", Value: config.Int{P: &c.KeySaveDelay, Min: math.MinInt32, Max: math.MaxInt32}},
		&config.Directive{Name: "rdb-save-incremental-fsync", Default: "yes", Value: config.Bool{P: &c.IncrementalFsync}},
	)
}

// checkFilename refuses a path where a file name is expected, as Valkey does: the file always lives in dir.
func checkFilename(name string) error {
	if name == "" {
		return errors.New("dbfilename can't be empty")
	}
	if strings.ContainsRune(name, '/') || name == "." || name == ".." {
		return fmt.Errorf("dbfilename can't be a path, just a filename")
	}
	return nil
}
