package tlsmat

import (
	"bytes"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// maxFileSize bounds every file read, so that a directive pointing at a huge file (a log, a device) fails
// with a clear reason instead of exhausting memory. Real PEM bundles are kilobytes.
const maxFileSize = 16 << 20

// errEmptyFile: the file has no content (or only white space).
var errEmptyFile = errors.New("file is empty")

// readFile reads one material file and turns every way it can be unusable into a short reason that does not
// repeat the path (the caller's Error carries it).
func readFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, osReason(err)
	}
	if st.IsDir() {
		return nil, errors.New("is a directory, expected a file")
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (mode %s)", st.Mode())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, osReason(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, osReason(err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("file is larger than %d bytes", maxFileSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errEmptyFile
	}
	return data, nil
}

// osReason strips the "op path:" prefix of an *fs.PathError: the path is reported once by Error.
func osReason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

var pemBegin = []byte("-----BEGIN ")

// decodePEM returns every PEM block in data. Unlike a plain pem.Decode loop it refuses a malformed block
// (bad base64, missing or mismatched END line) instead of silently skipping it, and it reports where the
// block starts. Text between blocks is ignored, as OpenSSL does.
func decodePEM(data []byte) ([]*pem.Block, error) {
	var blocks []*pem.Block
	off := 0
	for {
		i := bytes.Index(data[off:], pemBegin)
		if i < 0 {
			break
		}
		start := off + i
		// Bound the segment at the next BEGIN line so that pem.Decode cannot skip a broken block and
		// return a later one.
		end := len(data)
		if j := bytes.Index(data[start+1:], pemBegin); j >= 0 {
			end = start + 1 + j
		}
		block, _ := pem.Decode(data[start:end])
		if block == nil {
			return nil, fmt.Errorf("malformed PEM block at line %d", 1+bytes.Count(data[:start], []byte("\n")))
		}
		blocks = append(blocks, block)
		off = end
	}
	if len(blocks) == 0 {
		return nil, errors.New("no PEM data found (expected PEM text with -----BEGIN lines; DER files must be converted to PEM)")
	}
	return blocks, nil
}
