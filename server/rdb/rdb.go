// Package rdb reads and writes the RDB snapshot format: the file SAVE and BGSAVE write and the server
// loads at startup, the payload of a replication full sync (the same bytes over a socket), and the
// DUMP/RESTORE payloads.
//
// Writing targets RDB version 10 (Redis 7.0), so that a Redis 7.0, 7.2 or Valkey server can load what we
// write and replicate from us. Reading accepts versions 1 to 11 and Valkey's VALKEY080, streaming: the
// input is never held in memory as a whole, and every length read from it is checked against the input
// that actually arrives before memory is committed to it, so a corrupt or hostile file fails cleanly.
//
// Values decoded here come out in the encodings a command would have built for the same contents under
// the thresholds given in Limits (OBJECT ENCODING reports the same after a load as after the commands),
// following the rules Valkey applies when it loads each type.
package rdb

import (
	"errors"
	"fmt"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// Version is the RDB version the Encoder writes: Redis 7.0's, the newest one every server we talk to
// (Redis 7.0 and 7.2, Valkey) can load.
const Version = 10

// maxReadVersion is the newest "REDISxxxx" version the Decoder understands.
const maxReadVersion = 11

// valkeyVersion is the version of Valkey 9's "VALKEY080" header, reported by Decoder.Header.
const valkeyVersion = 80

// Record opcodes (the byte before a record that is not a key).
const (
	opSlotInfo      = 0xF4 // Valkey 8 cluster mode: slot id, keys, expires (a sizing hint)
	opFunction2     = 0xF5 // a function library's source
	opFunctionPreGA = 0xF6 // the Redis 7.0 release candidates' function format
	opModuleAux     = 0xF7 // module data outside any key
	opIdle          = 0xF8 // LRU idle time in seconds of the next key
	opFreq          = 0xF9 // LFU counter of the next key
	opAux           = 0xFA // a key/value pair of metadata
	opResizeDB      = 0xFB // sizes of the current database (a hint)
	opExpireMs      = 0xFC // expiry of the next key, Unix ms
	opExpireSec     = 0xFD // expiry of the next key, Unix seconds (old files)
	opSelectDB      = 0xFE // the database the following keys belong to
	opEOF           = 0xFF // end of the records; the checksum follows
)

// Value types (the byte before a key).
const (
	typeString          = 0
	typeList            = 1
	typeSet             = 2
	typeZSet            = 3
	typeHash            = 4
	typeZSet2           = 5
	typeModulePreGA     = 6
	typeModule2         = 7
	typeHashZipmap      = 9
	typeListZiplist     = 10
	typeSetIntset       = 11
	typeZSetZiplist     = 12
	typeHashZiplist     = 13
	typeListQuicklist   = 14
	typeStreamListpacks = 15
	typeHashListpack    = 16
	typeZSetListpack    = 17
	typeListQuicklist2  = 18
	typeStreamListpack2 = 19
	typeSetListpack     = 20
	typeStreamListpack3 = 21
)

// Special string encodings (a length byte whose top two bits are 11).
const (
	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

// Quicklist node containers in a LIST_QUICKLIST_2 value.
const (
	containerPlain  = 1
	containerPacked = 2
)

// Options are the writer's settings.
type Options struct {
	// Compress is rdbcompression: strings longer than 20 bytes are LZF-compressed when that saves space.
	Compress bool
	// Checksum is rdbchecksum: the file ends with the CRC64 of its bytes, or with 0 (not checked) when off.
	Checksum bool
}

// Limits are the encoding thresholds a loaded value is measured against, the same configuration the
// commands use (hash-max-listpack-*, set-max-intset-entries, set-max-listpack-*, zset-max-listpack-*,
// list-max-listpack-size).
type Limits struct {
	Hash keyspace.HashLimits
	Set  keyspace.SetLimits
	ZSet keyspace.ZLimits
	// ListFill is list-max-listpack-size: a negative value limits a node to 4..64 kB, a positive one to
	// that many elements.
	ListFill int
}

// DefaultLimits are Valkey's (and Redis's) default thresholds.
func DefaultLimits() Limits {
	return Limits{
		Hash:     keyspace.HashLimits{Entries: 512, Value: 64},
		Set:      keyspace.SetLimits{IntsetEntries: 512, ListpackEntries: 128, ListpackValue: 64},
		ZSet:     keyspace.ZLimits{Entries: 128, Value: 64},
		ListFill: -2,
	}
}

// RecordKind tells which fields of a Record are set.
type RecordKind uint8

// The record kinds Decoder.Next returns.
const (
	// RecAux is a metadata pair in Aux (redis-ver, ctime, repl-id, ...).
	RecAux RecordKind = iota + 1
	// RecSelectDB starts the keys of database DB.
	RecSelectDB
	// RecResizeDB gives the sizes of the current database (DBSize, ExpiresSize), a hint.
	RecResizeDB
	// RecKey is one key: Key, Obj, ExpireMs, Idle, Freq.
	RecKey
	// RecFunction is a function library's source code in Code.
	RecFunction
)

func (k RecordKind) String() string {
	switch k {
	case RecAux:
		return "aux"
	case RecSelectDB:
		return "selectdb"
	case RecResizeDB:
		return "resizedb"
	case RecKey:
		return "key"
	case RecFunction:
		return "function"
	}
	return fmt.Sprintf("RecordKind(%d)", uint8(k))
}

// Record is one decoded record. Every byte slice in it is its own memory (never the decoder's buffer), so
// a record's contents may be kept after the next call to Next.
type Record struct {
	Kind RecordKind
	// Aux is the key and value of a RecAux record.
	Aux [2]string
	// DB is the database of a RecSelectDB record (the caller checks it against its number of databases).
	DB int
	// DBSize and ExpiresSize are the hint of a RecResizeDB record.
	DBSize, ExpiresSize uint64
	// Key and Obj are a RecKey record's key and value.
	Key []byte
	Obj keyspace.Object
	// ExpireMs is the key's expiry in Unix ms, -1 for none.
	ExpireMs int64
	// Idle is the key's LRU idle time in seconds, -1 when the file has none.
	Idle int64
	// Freq is the key's LFU counter, -1 when the file has none.
	Freq int
	// Code is the library source of a RecFunction record.
	Code []byte
}

// reset clears r for the next record.
func (r *Record) reset() {
	*r = Record{ExpireMs: -1, Idle: -1, Freq: -1}
}

// FormatError is the error for every input the Decoder cannot load: malformed, truncated, failing its
// checksum, or holding something this server does not support. Offset is the number of input bytes
// consumed when the problem was found.
type FormatError struct {
	Offset int64
	Msg    string
	// Err is the underlying read error, when the problem was one (nil otherwise).
	Err error
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s at offset %d", e.Msg, e.Offset)
}

func (e *FormatError) Unwrap() error { return e.Err }

// ErrBadPayload is RESTORE's answer to a payload whose version is newer than we read or whose checksum is
// wrong (Valkey's exact text).
var ErrBadPayload = errors.New("ERR DUMP payload version or checksum are wrong")

// describeKey quotes a key for an error message, cut short when long.
func describeKey(key []byte) string {
	const max = 128
	if len(key) > max {
		return fmt.Sprintf("'%s...'", key[:max])
	}
	return fmt.Sprintf("'%s'", key)
}
