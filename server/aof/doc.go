// Package aof keeps a Valkey 7+ multi-part append-only file: a directory (appenddirname, under dir) holding at
// most one base file (a snapshot written by a rewrite, RDB or RESP), ordered incremental files of RESP
// commands, and a manifest that lists them. The layout and the manifest are Valkey's own, so a directory
// written here loads in valkey-server and the other way round.
//
// The package knows nothing of the keyspace. The server drives it:
//
//	m, err := aof.Open(cfg)          // creates the directory, reads the manifest
//	if m.HasData() { m.Load(loader) } // replays base then incr files through the Loader
//	m.Start(writeBase)               // opens the incr file for appending, starts the writer
//	seq := m.Append(resp)            // under the server lock: a copy into a buffer, no syscall
//	err = m.Wait(seq)                // before replying: written (or written and fsynced with always)
//	m.StartRewrite(writeBase)        // under the server lock, at the snapshot point
//	m.Close()
//
// One writer goroutine moves the buffer to the current incr file (group commit); a second goroutine plays the
// part of Valkey's background fsync thread (everysec fsyncs, closing the previous incr file after a rewrite
// switched away from it).
package aof
