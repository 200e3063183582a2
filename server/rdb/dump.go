package rdb

import (
	"bytes"
	"encoding/binary"

	"github.com/valkey-node/valkey-node/server/keyspace"
	"github.com/valkey-node/valkey-node/server/rdb/crc64"
)

// dumpFooterLen is the 2-byte RDB version and 8-byte CRC64 that end a DUMP payload.
const dumpFooterLen = 10

// DumpPayload is DUMP's serialization of a value: its RDB type byte and value, the RDB version (2 bytes,
// little-endian) and the CRC64 of all that (8 bytes, little-endian). The checksum is always written,
// whatever Options.Checksum says, because RESTORE always checks it. It returns nil for a value that
// cannot be serialized (a stream).
func DumpPayload(obj *keyspace.Object, o Options) []byte {
	t, err := valueType(obj)
	if err != nil {
		return nil
	}
	var out bytes.Buffer
	e := &Encoder{w: &out, o: o, buf: make([]byte, 0, 4<<10)}
	e.writeByte(t)
	e.writeValue(t, obj)
	e.room(2)
	e.buf = binary.LittleEndian.AppendUint16(e.buf, Version)
	e.flush() // the CRC now covers everything before it
	e.buf = binary.LittleEndian.AppendUint64(e.buf, e.crc)
	e.flush()
	return out.Bytes()
}

// ParseDumpPayload decodes a DUMP payload (RESTORE). A payload too short to have a footer, of a version
// newer than we read, or failing its checksum gives ErrBadPayload; a payload that passes those checks but
// does not hold a value we can load gives a *FormatError.
func ParseDumpPayload(b []byte, lim Limits) (keyspace.Object, error) {
	if len(b) < dumpFooterLen {
		return keyspace.Object{}, ErrBadPayload
	}
	body := b[:len(b)-dumpFooterLen]
	footer := b[len(b)-dumpFooterLen:]
	ver := int(binary.LittleEndian.Uint16(footer))
	if ver > maxReadVersion && ver != valkeyVersion {
		return keyspace.Object{}, ErrBadPayload
	}
	if crc64.Checksum(b[:len(b)-8]) != binary.LittleEndian.Uint64(footer[2:]) {
		return keyspace.Object{}, ErrBadPayload
	}
	d := &Decoder{rd: newSliceReader(body), lim: lim, version: ver, started: true}
	t, err := d.rd.readByte()
	if err != nil {
		return keyspace.Object{}, d.readErr(err)
	}
	if !isValueType(t) {
		return keyspace.Object{}, d.errorf("unknown value type %d", t)
	}
	obj, empty, err := d.readObject(t, nil)
	if err != nil {
		return keyspace.Object{}, d.readErr(err)
	}
	if empty {
		return keyspace.Object{}, d.errorf("empty collection")
	}
	return obj, nil
}
