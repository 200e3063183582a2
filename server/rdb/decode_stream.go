package rdb

// Streams are not a value kind here yet, but a file that holds one must still be read past it so that
// the keys after it load (and the error can name the key). skipStream walks the three stream layouts:
//
//	STREAM_LISTPACKS (15):  listpacks, length, last id, groups
//	STREAM_LISTPACKS_2 (19): adds first id, max deleted id, entries added, and each group's entries read
//	STREAM_LISTPACKS_3 (21): adds each consumer's active time
func (d *Decoder) skipStream(t byte) error {
	nodes, err := d.readLen()
	if err != nil {
		return err
	}
	for i := uint64(0); i < nodes; i++ {
		// the node's master id (16 raw bytes in a string), then the node's listpack
		if err := d.skipString(); err != nil {
			return err
		}
		if err := d.skipString(); err != nil {
			return err
		}
	}
	// length, last id (ms, seq); then first id, max deleted id, entries added
	fields := 3
	if t >= typeStreamListpack2 {
		fields += 5
	}
	if err := d.skipLens(fields); err != nil {
		return err
	}
	groups, err := d.readLen()
	if err != nil {
		return err
	}
	for g := uint64(0); g < groups; g++ {
		if err := d.skipString(); err != nil { // name
			return err
		}
		fields := 2 // last delivered id
		if t >= typeStreamListpack2 {
			fields++ // entries read
		}
		if err := d.skipLens(fields); err != nil {
			return err
		}
		pel, err := d.readLen()
		if err != nil {
			return err
		}
		for p := uint64(0); p < pel; p++ {
			// raw id, delivery time (ms), delivery count
			if err := d.rd.skip(16 + 8); err != nil {
				return err
			}
			if _, err := d.readLen(); err != nil {
				return err
			}
		}
		consumers, err := d.readLen()
		if err != nil {
			return err
		}
		for c := uint64(0); c < consumers; c++ {
			if err := d.skipString(); err != nil { // name
				return err
			}
			times := int64(8) // seen time
			if t >= typeStreamListpack3 {
				times += 8 // active time
			}
			if err := d.rd.skip(times); err != nil {
				return err
			}
			cpel, err := d.readLen()
			if err != nil {
				return err
			}
			if cpel > maxStringLen {
				return d.errorf("stream consumer pending list length %d out of range", cpel)
			}
			if err := d.rd.skip(16 * int64(cpel)); err != nil { // raw ids
				return err
			}
		}
	}
	return nil
}

// skipLens reads n lengths and drops them.
func (d *Decoder) skipLens(n int) error {
	for i := 0; i < n; i++ {
		if _, err := d.readLen(); err != nil {
			return err
		}
	}
	return nil
}
