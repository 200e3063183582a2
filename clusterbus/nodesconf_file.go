package clusterbus

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
)

// ConfigFile is the node's nodes.conf, exclusively locked (flock) for as long as it is open, so that two
// nodes started with the same file refuse rather than overwrite each other's configuration.
//
// Saves write a temporary file and rename it over nodes.conf, which gives the name a new inode. So that
// the lock follows the name, a save locks the temporary file before the rename and only then lets go of
// the old inode; and opening checks, after locking, that the inode it locked is still the one the name
// points to (else a save raced it, and it tries again).
type ConfigFile struct {
	path string
	lock *os.File // open on the current nodes.conf inode, holding the flock
	seq  atomic.Uint64
	// writes and syncs count the saves and the fsynced ones among them (tests and benchmarks read
	// them to check that changes are coalesced).
	writes, syncs atomic.Uint64
}

// ErrConfigLocked matches (errors.Is) OpenConfigFile's error when another process holds the lock.
var ErrConfigLocked = errors.New("cluster config file locked")

// lockedError is Valkey's message for a nodes.conf locked by another node.
type lockedError string

func (e lockedError) Error() string {
	return "Sorry, the cluster configuration file " + string(e) + " is already used by a different Valkey " +
		"Cluster node. Please make sure that different nodes use different cluster configuration files."
}

func (e lockedError) Is(target error) bool { return target == ErrConfigLocked }

// lockRetries bounds the open/lock/verify loop; each retry needs a concurrent save in between.
const lockRetries = 10

// OpenConfigFile opens (creating it empty when missing) and locks path.
func OpenConfigFile(path string) (*ConfigFile, error) {
	for range lockRetries {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("can't open %s in order to acquire a lock: %w", path, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			_ = f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, lockedError(path)
			}
			return nil, fmt.Errorf("impossible to lock %s: %w", path, err)
		}
		same, err := sameFile(f, path)
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if same {
			return &ConfigFile{path: path, lock: f}, nil
		}
		_ = f.Close() // locked an inode a save just replaced: lock the new one
	}
	return nil, fmt.Errorf("impossible to lock %s: it keeps being replaced", path)
}

// sameFile reports whether f is still the file at path.
func sameFile(f *os.File, path string) (bool, error) {
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	pi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(fi, pi), nil
}

// Path is the file's path.
func (c *ConfigFile) Path() string { return c.path }

// Load reads and parses the file. found is false when the file is empty (just created by the lock, or
// left empty): the node then starts fresh and saves a new configuration.
func (c *ConfigFile) Load(cfg Config, now int64) (st *State, found bool, err error) {
	data, err := os.ReadFile(c.path)
	if err != nil {
		return nil, false, fmt.Errorf("read cluster config file: %w", err)
	}
	if len(data) == 0 {
		return nil, false, nil
	}
	st, err = ParseNodesConf(c.path, data, cfg, now)
	if err != nil {
		return nil, false, err
	}
	return st, true, nil
}

// Save writes st to the file atomically: a temporary file beside it, written (and fsynced when sync),
// then renamed over it (the directory fsynced too when sync). The lock moves to the new file.
func (c *ConfigFile) Save(st *State, sync bool) (err error) {
	if c.lock == nil {
		return fmt.Errorf("save cluster config %s: file is closed", c.path)
	}
	tmp := fmt.Sprintf("%s.tmp-%d-%d", c.path, os.Getpid(), c.seq.Add(1))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("save cluster config: %w", err)
	}
	renamed := false
	defer func() {
		if err != nil && !renamed {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(st.EncodeNodesConf()); err != nil {
		return fmt.Errorf("save cluster config: write %s: %w", tmp, err)
	}
	if sync {
		if err = f.Sync(); err != nil {
			return fmt.Errorf("save cluster config: fsync %s: %w", tmp, err)
		}
	}
	// Nobody else can know this file yet, so the lock is granted at once.
	if err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fmt.Errorf("save cluster config: lock %s: %w", tmp, err)
	}
	if err = os.Rename(tmp, c.path); err != nil {
		return fmt.Errorf("save cluster config: %w", err)
	}
	renamed = true
	old := c.lock
	c.lock = f
	_ = old.Close()
	c.writes.Add(1)
	if sync {
		c.syncs.Add(1)
		if err = syncDir(filepath.Dir(c.path)); err != nil {
			return fmt.Errorf("save cluster config: fsync directory: %w", err)
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Close releases the lock. The file stays.
func (c *ConfigFile) Close() error {
	if c.lock == nil {
		return nil
	}
	err := c.lock.Close()
	c.lock = nil
	return err
}
