package aof

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Fsync is the appendfsync policy.
type Fsync int

const (
	// FsyncEverysec writes at once and fsyncs in the background about once per second (Valkey's default).
	FsyncEverysec Fsync = iota
	// FsyncAlways fsyncs after every write: Wait returns only once the bytes are on stable storage.
	FsyncAlways
	// FsyncNo leaves flushing to the operating system.
	FsyncNo
)

// String is the appendfsync directive value.
func (f Fsync) String() string {
	switch f {
	case FsyncAlways:
		return "always"
	case FsyncNo:
		return "no"
	default:
		return "everysec"
	}
}

// ParseFsync reads an appendfsync directive value (case-insensitive).
func ParseFsync(s string) (Fsync, error) {
	switch strings.ToLower(s) {
	case "always":
		return FsyncAlways, nil
	case "everysec":
		return FsyncEverysec, nil
	case "no":
		return FsyncNo, nil
	}
	return 0, fmt.Errorf("aof: invalid appendfsync value %q (want always, everysec or no)", s)
}

// File is what the manager needs of an open incr or temporary base file. *os.File satisfies it; tests wrap
// it to inject errors such as ENOSPC.
type File interface {
	Write(p []byte) (int, error)
	Sync() error
	Truncate(size int64) error
	Close() error
}

// Config describes one append-only directory.
type Config struct {
	// Dir is the server's working directory (the dir directive); DirName (appenddirname, default
	// "appendonlydir") is created under it. FileName is appendfilename (default "appendonly.aof"): the
	// prefix of every file name, and the name of a pre-7.0 single-file AOF looked for in Dir.
	Dir, DirName, FileName string
	// Fsync is the initial appendfsync policy; SetFsync changes it at runtime.
	Fsync Fsync
	// UseRDBPreamble (aof-use-rdb-preamble) names new base files .base.rdb instead of .base.aof. What the
	// base contains is up to the writeBase function the server passes.
	UseRDBPreamble bool
	// LoadTruncated (aof-load-truncated): an incomplete command at the end of the last file is dropped (the
	// file is truncated to the last complete command) instead of failing the load.
	LoadTruncated bool
	Log           zerolog.Logger

	// OpenFile opens incr and temporary base files; nil means os.OpenFile. Tests inject faults here.
	OpenFile func(name string, flag int, perm os.FileMode) (File, error)
	// RetryInterval is how long the writer waits before retrying after a write or fsync error
	// (default 100ms, Valkey's serverCron period).
	RetryInterval time.Duration
	// FsyncInterval is the everysec period (default 1s). Tests shorten it.
	FsyncInterval time.Duration
}

const (
	defaultDirName  = "appendonlydir"
	defaultFileName = "appendonly.aof"
	defaultRetry    = 100 * time.Millisecond
	// maxPostpone is how long an everysec write waits for a running background fsync before writing anyway
	// (Valkey: two seconds, then aof_delayed_fsync is counted).
	maxPostpone = 2 * time.Second
)

func (c *Config) setDefaults() error {
	if c.DirName == "" {
		c.DirName = defaultDirName
	}
	if c.FileName == "" {
		c.FileName = defaultFileName
	}
	if c.Dir == "" {
		c.Dir = "."
	}
	// Valkey refuses paths here: the names are joined to dir and written into the manifest.
	if strings.ContainsRune(c.FileName, '/') || c.FileName == "." || c.FileName == ".." {
		return fmt.Errorf("aof: appendfilename can't be a path, just a filename: %q", c.FileName)
	}
	if strings.ContainsRune(c.DirName, '/') || c.DirName == "." || c.DirName == ".." {
		return fmt.Errorf("aof: appenddirname can't be a path, just a dirname: %q", c.DirName)
	}
	if c.OpenFile == nil {
		c.OpenFile = func(name string, flag int, perm os.FileMode) (File, error) {
			return os.OpenFile(name, flag, perm)
		}
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = defaultRetry
	}
	if c.FsyncInterval <= 0 {
		c.FsyncInterval = time.Second
	}
	return nil
}
