package server

import (
	"github.com/valkey-node/valkey-node/server/keyspace"
)

// embstrMax is the longest string Valkey stores with the embstr encoding.
const embstrMax = 44

// encodingName is what OBJECT ENCODING reports for a value, following Valkey's names and thresholds (the
// in-memory layout here is our own; clients and tests look at the names).
func encodingName(o *keyspace.Object) string {
	switch o.Kind {
	case keyspace.KindString:
		if o.Raw {
			return "raw"
		}
		if len(o.Str) <= 20 {
			if _, ok := parseInt64(o.Str); ok {
				return "int"
			}
		}
		if len(o.Str) <= embstrMax {
			return "embstr"
		}
		return "raw"
	}
	return "unknown"
}
