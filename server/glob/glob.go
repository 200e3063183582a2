// Package glob matches Valkey glob-style patterns (KEYS, SCAN MATCH, PSUBSCRIBE, ACL key patterns, CONFIG GET):
// '*' any run, '?' any byte, '[abc]', '[^a-z]' classes, '\' escapes.
//
// The matcher remembers only the most recent '*' and resumes from it on a mismatch. That is enough for
// correctness (a later star can absorb anything an earlier one could) and bounds the work at
// O(len(pattern) * len(s)), so hostile patterns such as "a*a*a*a*…b" cannot make the server spin the way a
// naive recursive matcher would.
package glob

// Match reports whether s matches pattern.
func Match(pattern, s []byte, nocase bool) bool {
	p, i := 0, 0
	starP, starI := -1, -1
	for i < len(s) {
		if p < len(pattern) {
			switch pattern[p] {
			case '*':
				for p < len(pattern) && pattern[p] == '*' {
					p++
				}
				if p == len(pattern) {
					return true
				}
				starP, starI = p, i
				continue
			case '?':
				p++
				i++
				continue
			case '[':
				if next, ok := matchClass(pattern, p, s[i], nocase); ok {
					p = next
					i++
					continue
				}
			case '\\':
				if p+1 < len(pattern) {
					if eq(pattern[p+1], s[i], nocase) {
						p += 2
						i++
						continue
					}
					break
				}
				fallthrough
			default:
				if eq(pattern[p], s[i], nocase) {
					p++
					i++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starI++
		p, i = starP, starI
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// MatchString is Match for strings.
func MatchString(pattern, s string, nocase bool) bool {
	return Match([]byte(pattern), []byte(s), nocase)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

func eq(a, b byte, nocase bool) bool {
	if nocase {
		return lower(a) == lower(b)
	}
	return a == b
}

// matchClass matches c against the class starting at pattern[p] == '['. It returns the index after the
// class. An unterminated class extends to the end of the pattern, as in Valkey.
func matchClass(pattern []byte, p int, c byte, nocase bool) (int, bool) {
	p++
	not := false
	if p < len(pattern) && pattern[p] == '^' {
		not = true
		p++
	}
	match := false
	for p < len(pattern) && pattern[p] != ']' {
		switch {
		case pattern[p] == '\\' && p+1 < len(pattern):
			p++
			if eq(pattern[p], c, nocase) {
				match = true
			}
		case p+2 < len(pattern) && pattern[p+1] == '-':
			lo, hi := pattern[p], pattern[p+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			cc := c
			if nocase {
				lo, hi, cc = lower(lo), lower(hi), lower(c)
			}
			if cc >= lo && cc <= hi {
				match = true
			}
			p += 2
		default:
			if eq(pattern[p], c, nocase) {
				match = true
			}
		}
		p++
	}
	if p < len(pattern) {
		p++ // skip ']'
	}
	if not {
		match = !match
	}
	return p, match
}

// IsPlain reports whether pattern has no special characters, so a lookup can replace a scan.
func IsPlain(pattern []byte) bool {
	for _, c := range pattern {
		switch c {
		case '*', '?', '[', '\\':
			return false
		}
	}
	return true
}
