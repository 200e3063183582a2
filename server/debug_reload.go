package server

import (
	"errors"
	"fmt"
	"os"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the data set, drop it and load the file back, all with the
// execution lock held, which proves that everything in memory survives the RDB round trip (Valkey's tests
// run it between writing data and checking it). NOSAVE loads the file as it is on disk; NOFLUSH keeps the
// current keys, and a key both in memory and in the file is then an error unless MERGE lets the file's
// value win.

const (
	errReloadOptions = "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."
	errReloadLoad    = "ERR Error trying to load the RDB dump, check server logs."
)

func debugReload(c *Client, opts [][]byte) {
	s := c.srv
	merge, flush, save := false, true, true
	for _, o := range opts {
		switch {
		case eqFold(o, "merge"):
			merge = true
		case eqFold(o, "noflush"):
			flush = false
		case eqFold(o, "nosave"):
			save = false
		default:
			c.Err(errReloadOptions)
			return
		}
	}
	if save {
		if err := s.rdbSaveSync(); err != nil {
			// Valkey answers a failed save here with a bare "-ERR"; the log has the reason
			s.log.Warn().Err(err).Msg("DEBUG RELOAD could not save the RDB file")
			c.Err("ERR")
			return
		}
	}
	if err := s.reloadRDB(flush, merge); err != nil {
		s.log.Warn().Err(err).Msg("DEBUG RELOAD could not load the RDB file")
		c.Err(errReloadLoad)
		return
	}
	s.log.Info().Msg("DB reloaded by DEBUG RELOAD")
	c.W().OK()
}

// reloadRDB loads the RDB file into the keyspace. Without flush the keys in memory are kept: they are set
// aside while the loader fills empty databases (it only loads into an empty keyspace), then put back where
// the file did not have the key. Lock held.
func (s *Server) reloadRDB(flush, merge bool) error {
	path := s.rdbPath()
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening the RDB file %s: %w", path, err)
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}

	var aside []*keyspace.DB
	for id := range s.dbs {
		if flush {
			s.flushDB(id)
			continue
		}
		s.touchWatchedDB(id, nil)
		old := keyspace.NewDB(id)
		s.dbs[id].Swap(old)
		aside = append(aside, old)
	}
	if flush {
		s.trackingFlush()
	}
	loadErr := s.loadRDBLocked(f, path, size)
	var mergeErr error
	if !flush {
		mergeErr = s.mergeBack(aside, merge)
	}
	// the data set was replaced behind the memory accounting's back: count it again
	s.memRecountAll()
	return errors.Join(loadErr, mergeErr)
}

// mergeBack returns the keys set aside by a NOFLUSH reload to their databases. A key the file also held
// keeps the file's value; without MERGE that is reported as an error (Valkey stops the server on it).
func (s *Server) mergeBack(aside []*keyspace.DB, merge bool) error {
	var dups int
	var first string
	for i, old := range aside {
		db := s.dbs[i]
		old.Range(func(key string, o *keyspace.Object) bool {
			k := []byte(key)
			if db.Get(k) != nil {
				if dups == 0 {
					first = fmt.Sprintf("'%s' in database %d", key, i)
				}
				dups++
				return true
			}
			db.Add(k, *o)
			if when := old.ExpireOf(key); when >= 0 {
				db.SetExpire(k, when)
			}
			return true
		})
	}
	if dups > 0 && !merge {
		return fmt.Errorf("%d keys of the RDB file were already in memory (first: %s): use MERGE to let the file's values win", dups, first)
	}
	return nil
}
