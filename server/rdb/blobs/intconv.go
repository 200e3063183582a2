package blobs

// ParseCanonicalInt reports whether s is the canonical decimal form of an
// int64 and returns its value. Canonical means the form strconv.FormatInt
// would produce: an optional '-' followed by digits with no leading zero
// ("0" alone is allowed, "-0" is not), no '+', no spaces, within range.
// Valkey stores exactly such strings as integers inside listpacks and
// intsets, so the round trip string -> int -> string is lossless.
func ParseCanonicalInt(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	neg := s[0] == '-'
	digits := s
	if neg {
		digits = s[1:]
	}
	if len(digits) == 0 || digits[0] < '1' || digits[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}
