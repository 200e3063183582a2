// Package textargs splits a line of text into arguments the way valkey.conf lines and inline RESP commands
// are split: words separated by blanks, "double quoted" strings with C-style escapes (\n \r \t \b \a \\ \"
// and \xHH), and 'single quoted' strings where only \' is an escape. A closing quote must be followed by a
// blank or the end of the line.
package textargs

import "errors"

// ErrUnbalancedQuotes is returned for an unterminated quote or a closing quote followed by a non-blank.
var ErrUnbalancedQuotes = errors.New("unbalanced quotes")

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Split splits line into arguments. An empty or blank line yields no arguments and no error.
func Split(line []byte) ([][]byte, error) {
	var out [][]byte
	i, n := 0, len(line)
	for {
		for i < n && isSpace(line[i]) {
			i++
		}
		if i >= n {
			return out, nil
		}
		var cur []byte
		inDouble, inSingle, done := false, false, false
		cur = make([]byte, 0, 16)
		for !done {
			if inDouble {
				if i >= n {
					return nil, ErrUnbalancedQuotes
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < n && line[i+1] == 'x':
					hi, ok1 := hexVal(line[i+2])
					lo, ok2 := hexVal(line[i+3])
					if ok1 && ok2 {
						cur = append(cur, hi<<4|lo)
						i += 3
					} else {
						cur = append(cur, c)
					}
				case c == '\\' && i+1 < n:
					i++
					switch line[i] {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, line[i])
					}
				case c == '"':
					// the closing quote must be followed by a blank or the end
					if i+1 < n && !isSpace(line[i+1]) {
						return nil, ErrUnbalancedQuotes
					}
					done = true
				default:
					cur = append(cur, c)
				}
			} else if inSingle {
				if i >= n {
					return nil, ErrUnbalancedQuotes
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < n && line[i+1] == '\'':
					i++
					cur = append(cur, '\'')
				case c == '\'':
					if i+1 < n && !isSpace(line[i+1]) {
						return nil, ErrUnbalancedQuotes
					}
					done = true
				default:
					cur = append(cur, c)
				}
			} else {
				if i >= n {
					done = true
					break
				}
				c := line[i]
				switch {
				case isSpace(c):
					done = true
				case c == '"':
					inDouble = true
				case c == '\'':
					inSingle = true
				default:
					cur = append(cur, c)
				}
			}
			if i < n {
				i++
			}
		}
		out = append(out, cur)
	}
}

// SplitString is Split for strings.
func SplitString(line string) ([]string, error) {
	parts, err := Split([]byte(line))
	if err != nil {
		return nil, err
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = string(p)
	}
	return out, nil
}

// Quote renders s so that Split gives it back as one argument: bare when it is a plain word, otherwise
// double quoted with escapes. CONFIG REWRITE uses it.
func Quote(s string) string {
	plain := s != ""
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		if isSpace(c) || c == '"' || c == '\'' || c == '\\' || c < 0x20 || c >= 0x7f {
			plain = false
		}
	}
	if plain {
		return s
	}
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if c < 0x20 || c >= 0x7f {
				const hx = "0123456789abcdef"
				b = append(b, '\\', 'x', hx[c>>4], hx[c&15])
			} else {
				b = append(b, c)
			}
		}
	}
	b = append(b, '"')
	return string(b)
}
