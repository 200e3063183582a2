package blobs

import "github.com/valkey-node/valkey-node/server/keyspace"

// ParseCanonicalInt reports whether s is the canonical decimal form of an
// int64 and returns its value. Canonical means the form strconv.FormatInt
// would produce: an optional '-' followed by digits with no leading zero
// ("0" alone is allowed, "-0" is not), no '+', no spaces, within range.
// Valkey stores exactly such strings as integers inside listpacks and
// intsets, so the round trip string -> int -> string is lossless.
func ParseCanonicalInt(s []byte) (int64, bool) { return keyspace.ParseInt(s) }
