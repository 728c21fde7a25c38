package join

import (
	"bytes"
	"errors"
	"io"
)

// scanner reads CSV records (RFC 4180: quoted fields, "" for a quote inside one) into
// buffers it owns, so that every copy of the file's bytes, identifiers included, can
// be zeroed: encoding/csv hands out fields as strings, which cannot be wiped. Fields
// returned by next are valid until the following call. Lines are counted from 1;
// columns are 1-based byte offsets within the line, after any byte-order mark.
type scanner struct {
	r        io.Reader
	buf      []byte // buf[pos:end] holds bytes read but not yet consumed
	pos, end int
	eof      bool
	rerr     error // the reader's error, once it has failed
	sep      byte
	line     int // line number of buf[pos]

	fields   []span
	scratch  []byte // quoted fields with "" escapes, unescaped
	out      [][]byte
	cols     []int // column of each field's first byte
	recLine  int   // line on which the last record began
	consumed int   // length of the last record, still at buf[pos:]
}

// span locates a field in buf (relative to pos) or in scratch.
type span struct {
	lo, hi    int
	unescaped bool // in scratch
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// errNeedMore is internal: the record does not end within the bytes read so far.
var errNeedMore = errors.New("need more input")

// syntaxError is a malformed record, at a line and byte column.
type syntaxError struct {
	line, col int
	msg       string
}

func (e *syntaxError) Error() string { return e.msg }

func newScanner(r io.Reader) *scanner {
	return &scanner{r: r, buf: make([]byte, 64<<10), line: 1}
}

// wipe zeroes every buffer the scanner used.
func (s *scanner) wipe() {
	clear(s.buf)
	clear(s.scratch)
	clear(s.out)
	s.pos, s.end = 0, 0
}

// fill reads more input, moving unread bytes to the front of the buffer or into a
// buffer twice the size; the bytes left behind are zeroed. It reads until the buffer
// is full or the input ends.
func (s *scanner) fill() error {
	if s.rerr != nil {
		return s.rerr
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		clear(s.buf[n:s.end])
		s.pos, s.end = 0, n
	}
	if s.end == len(s.buf) {
		b := make([]byte, 2*len(s.buf))
		copy(b, s.buf[:s.end])
		clear(s.buf)
		s.buf = b
	}
	// Fill the buffer, so that a record is parsed again only when the buffer has
	// doubled, however little each Read returns.
	for empty := 0; s.end < len(s.buf); {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		switch {
		case errors.Is(err, io.EOF):
			s.eof = true
			return nil
		case err != nil:
			s.rerr = err
			return err
		case n == 0:
			if empty++; empty == 100 {
				s.rerr = io.ErrNoProgress
				return s.rerr
			}
		}
	}
	return nil
}

// skipBOM drops a UTF-8 byte-order mark at the start of the input.
func (s *scanner) skipBOM() error {
	for s.end-s.pos < len(bom) && !s.eof {
		if err := s.fill(); err != nil {
			return err
		}
	}
	if bytes.HasPrefix(s.buf[s.pos:s.end], bom) {
		s.pos += len(bom)
	}
	return nil
}

// firstLine returns the bytes of the first line that is not blank, up to a line end
// outside quotes.
func (s *scanner) firstLine() ([]byte, error) {
	for {
		data := s.buf[s.pos:s.end]
		quoted, start := false, 0
		for i, c := range data {
			switch {
			case c == '"':
				quoted = !quoted
			case !quoted && (c == '\n' || c == '\r'):
				if line := data[start:i]; len(bytes.TrimSpace(line)) > 0 {
					return line, nil
				}
				start = i + 1
			}
		}
		if s.eof {
			return data[start:], nil
		}
		if err := s.fill(); err != nil {
			return nil, err
		}
	}
}

// next returns the fields of the next record and their columns, skipping lines that
// hold nothing but white space, or io.EOF at the end of the input.
func (s *scanner) next() ([][]byte, []int, error) {
	s.pos += s.consumed
	s.consumed = 0
	for {
		n, err := s.parse()
		if err == errNeedMore {
			if err := s.fill(); err != nil {
				return nil, nil, err
			}
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if n < 0 {
			return nil, nil, io.EOF
		}
		data := s.buf[s.pos:]
		s.out = s.out[:0]
		for _, f := range s.fields {
			if f.unescaped {
				s.out = append(s.out, s.scratch[f.lo:f.hi:f.hi])
			} else {
				s.out = append(s.out, data[f.lo:f.hi:f.hi])
			}
		}
		return s.out, s.cols, nil
	}
}

// parse reads one record from buf[pos:end]. It returns -1 at the end of the input,
// errNeedMore when the record may continue past end, and otherwise records the fields
// in s.fields and s.cols, moves pos past the record and returns the number of fields.
// Nothing but s.fields, s.cols and s.scratch changes unless it succeeds.
func (s *scanner) parse() (int, error) {
	data := s.buf[s.pos:s.end]
	n := len(data)
	i, line, lineStart := 0, s.line, 0
	s.fields, s.cols, s.scratch = s.fields[:0], s.cols[:0], s.scratch[:0]
	space := func(c byte) bool { return c == ' ' || (c == '\t' && s.sep != '\t') }

	// Skip blank lines.
	for {
		j := i
		for j < n && space(data[j]) {
			j++
		}
		if j == n {
			if !s.eof {
				return 0, errNeedMore
			}
			clear(data) // consumed: nothing but white space
			s.pos = s.end
			return -1, nil
		}
		if data[j] != '\n' && data[j] != '\r' {
			break
		}
		end, ok := s.lineEnd(data, j)
		if !ok {
			return 0, errNeedMore
		}
		i, line, lineStart = end, line+1, end
	}
	recStart, recLine := i, line

	for {
		for i < n && space(data[i]) {
			i++
		}
		col := i - lineStart + 1
		if i < n && data[i] == '"' {
			qLine, qCol := line, col
			lo := len(s.scratch)
			escaped := false
			i++
			for {
				q := bytes.IndexByte(data[i:], '"')
				if q < 0 {
					if !s.eof {
						return 0, errNeedMore
					}
					return 0, &syntaxError{qLine, qCol, "quoted field is never closed"}
				}
				q += i
				for k := i; k < q; k++ {
					if data[k] == '\n' {
						line, lineStart = line+1, k+1
					}
				}
				if q+1 == n && !s.eof {
					return 0, errNeedMore // a quote that may be the first of ""
				}
				if q+1 < n && data[q+1] == '"' {
					s.scratch = append(s.scratch, data[i:q+1]...)
					escaped = true
					i = q + 2
					continue
				}
				if escaped {
					s.scratch = append(s.scratch, data[i:q]...)
					s.fields = append(s.fields, span{lo, len(s.scratch), true})
				} else {
					s.fields = append(s.fields, span{i, q, false})
				}
				i = q + 1
				break
			}
			for i < n && space(data[i]) {
				i++
			}
			if i < n && data[i] != s.sep && data[i] != '\n' && data[i] != '\r' {
				return 0, &syntaxError{line, i - lineStart + 1, "text after the closing quote of a field"}
			}
		} else {
			lo := i
			for i < n && data[i] != s.sep && data[i] != '\n' && data[i] != '\r' {
				if data[i] == '"' {
					return 0, &syntaxError{line, i - lineStart + 1, `a quote (") inside a field that does not begin with one`}
				}
				i++
			}
			s.fields = append(s.fields, span{lo, i, false})
		}
		s.cols = append(s.cols, col)
		switch {
		case i == n:
			if !s.eof {
				return 0, errNeedMore
			}
			s.finish(recStart, n, recLine, line)
			return len(s.fields), nil
		case data[i] == s.sep:
			i++
		default: // a line end
			end, ok := s.lineEnd(data, i)
			if !ok {
				return 0, errNeedMore
			}
			s.finish(recStart, end, recLine, line+1)
			return len(s.fields), nil
		}
	}
}

// lineEnd returns the index after the line end at data[i]: "\n", "\r\n" or "\r".
func (s *scanner) lineEnd(data []byte, i int) (int, bool) {
	if data[i] == '\r' {
		if i+1 == len(data) && !s.eof {
			return 0, false
		}
		if i+1 < len(data) && data[i+1] == '\n' {
			return i + 2, true
		}
	}
	return i + 1, true
}

// finish records where the record began and moves past it. Field spans are relative
// to buf[pos:], which stays in place until the next call.
func (s *scanner) finish(start, end, recLine, nextLine int) {
	for k := range s.fields {
		if !s.fields[k].unescaped {
			s.fields[k].lo -= start
			s.fields[k].hi -= start
		}
	}
	s.pos += start
	s.consumed = end - start
	s.recLine, s.line = recLine, nextLine
}
