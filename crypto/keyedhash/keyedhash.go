// Package keyedhash turns identifiers into tags that two controllers can match but
// nobody else can compute or invert.
//
// The two controllers agree on a 256-bit key by commit-then-reveal: each draws a random
// 256-bit share and a random nonce, sends SHA-256(nonce‖share), and only after receiving
// the other's commitment opens its own. The key is the sum of the shares mod 2^256, so it
// is uniform as long as either controller is honest, and neither can choose its share
// after seeing the other's. Tags are HMAC-SHA256(key, identifier): without the key a tag
// reveals nothing about the identifier (HMAC is a PRF), so the third party that matches
// tags learns only which tags are equal. Keys are wiped after hashing (step 2 of the
// protocol), so the tags cannot be recomputed afterwards.
//
// # What is wiped, and when
//
// The package computes SHA-256 and HMAC-SHA256 itself, over buffers it owns, because
// crypto/sha256 and crypto/hmac keep their chaining values and last input block where
// the caller cannot zero them, and HMAC's inner and outer states are as good as the key.
//
//   - [Share.Wipe] zeroes the nonce and the share. [JointKey] calls it on the caller's
//     share and zeroes the opening slice it was given, on success and on failure.
//   - [Share.Opening] returns a fresh copy of nonce‖share, which the caller zeroes once
//     it has encoded it for sending.
//   - Computing and checking a commitment zeroes the SHA-256 state that absorbed
//     nonce‖share.
//   - [JointKey] writes the sum of the shares into the key's own block buffer, computes
//     HMAC's inner and outer chaining values from it (SHA-256 of the key XOR ipad and
//     XOR opad, one block each) and zeroes the buffer: a [Key] holds those two 32-byte
//     states and nothing else of the key.
//   - [Key.Tag] zeroes its block buffer, message schedule and inner hash before it
//     returns, so no part of an identifier stays in the key.
//   - [Key.Wipe] zeroes the inner and outer states; a wiped key refuses to tag.
//
// Go gives a program no hold on registers, on the stack frames of the compression
// function or on stack copies the runtime makes when a goroutine's stack grows; those
// are not wiped. Nor are copies outside the package: the encoded frames that carried an
// opening through a transport, and the identifiers the caller passes to Tag (the caller
// zeroes those).
package keyedhash

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// Size is the size in bytes of shares, keys, nonces and tags.
const Size = 32

// OpeningSize is the size of an opening: the nonce followed by the share.
const OpeningSize = 2 * Size

// Commitment binds a controller to its key share before the share is revealed.
type Commitment [Size]byte

// Share is one controller's contribution to the joint key.
type Share struct {
	nonce [Size]byte
	value [Size]byte
}

// NewShare draws a share and its commitment nonce from random.
func NewShare(random io.Reader) (*Share, error) {
	s := new(Share)
	if _, err := io.ReadFull(random, s.nonce[:]); err != nil {
		return nil, fmt.Errorf("keyedhash: draw nonce: %w", err)
	}
	if _, err := io.ReadFull(random, s.value[:]); err != nil {
		return nil, fmt.Errorf("keyedhash: draw share: %w", err)
	}
	return s, nil
}

// Commitment returns SHA-256(nonce‖share), to be sent before the opening.
func (s *Share) Commitment() Commitment {
	return commit(s.nonce[:], s.value[:])
}

// Opening returns nonce‖share, to be sent once the other side's commitment has arrived.
// The slice is the caller's: wipe it once it has been encoded for sending.
func (s *Share) Opening() []byte {
	out := make([]byte, 0, OpeningSize)
	out = append(out, s.nonce[:]...)
	return append(out, s.value[:]...)
}

// Wipe zeroes the share.
func (s *Share) Wipe() {
	clear(s.nonce[:])
	clear(s.value[:])
}

func commit(nonce, value []byte) Commitment {
	var d digest
	d.reset()
	d.write(nonce)
	d.write(value)
	var c [Size]byte
	d.sum(&c) // and wipes d, whose last block was nonce‖value
	return c
}

// ErrBadOpening is returned when the other side's opening does not match its commitment.
var ErrBadOpening = errors.New("keyedhash: opening does not match commitment")

// JointKey checks the other controller's opening against the commitment it sent earlier
// and returns the key mine + theirs mod 2^256. Whether or not it succeeds, it wipes mine
// and opening, so that no copy of either share outlives the call but the key's own state.
func JointKey(mine *Share, theirs Commitment, opening []byte) (*Key, error) {
	defer mine.Wipe()
	defer clear(opening)
	if len(opening) != OpeningSize {
		return nil, fmt.Errorf("keyedhash: opening is %d bytes, want %d", len(opening), OpeningSize)
	}
	got := commit(opening[:Size], opening[Size:])
	if subtle.ConstantTimeCompare(got[:], theirs[:]) != 1 {
		return nil, ErrBadOpening
	}
	k := new(Key)
	carry := 0
	for i := Size - 1; i >= 0; i-- {
		t := int(mine.value[i]) + int(opening[Size+i]) + carry
		k.pad[i] = byte(t)
		carry = t >> 8
	}
	k.init()
	return k, nil
}

// Key computes identifier tags: HMAC-SHA256 with the key's inner and outer chaining
// values computed once, so that the key itself is not kept. Those two values are
// equivalent to the key (whoever has them can compute tags), and Wipe zeroes them along
// with the working state of the last tag. A Key is not safe for concurrent use.
type Key struct {
	inner, outer [8]uint32 // SHA-256 chaining values after the ipad and opad blocks
	work         digest    // the tag being computed
	sum          [Size]byte
	pad          [64]byte // the key, zero-padded to a block, until init has used it
	wiped        bool
}

// newKey returns the key for k. A key longer than a block is hashed first, as RFC 2104
// says; Triad's keys are Size bytes, and longer ones serve only the test vectors.
func newKey(k []byte) *Key {
	key := new(Key)
	if len(k) > len(key.pad) {
		d := &key.work
		d.reset()
		d.write(k)
		d.sum(&key.sum)
		copy(key.pad[:], key.sum[:])
		clear(key.sum[:])
	} else {
		copy(key.pad[:], k)
	}
	key.init()
	return key
}

// init computes HMAC-SHA256's inner and outer states from the padded key in k.pad and
// zeroes the pad.
func (k *Key) init() {
	d := &k.work
	for i := range k.pad {
		k.pad[i] ^= 0x36
	}
	d.reset()
	d.write(k.pad[:])
	k.inner = d.h
	for i := range k.pad {
		k.pad[i] ^= 0x36 ^ 0x5c
	}
	d.reset()
	d.write(k.pad[:])
	k.outer = d.h
	d.wipe()
	clear(k.pad[:])
}

// ErrWiped is returned by a key used after Wipe.
var ErrWiped = errors.New("keyedhash: key has been wiped")

// Tag returns HMAC-SHA256(key, id). Callers normalise id first (see AppendNormalized).
// Tag keeps no copy of id: the block buffer and message schedule that held it are zeroed
// before Tag returns.
func (k *Key) Tag(id []byte) ([Size]byte, error) {
	var tag [Size]byte
	if k.wiped {
		return tag, ErrWiped
	}
	d := &k.work
	d.resume(&k.inner, 64)
	d.write(id)
	d.sum(&k.sum)
	d.resume(&k.outer, 64)
	d.write(k.sum[:])
	clear(k.sum[:])
	d.sum(&tag)
	return tag, nil
}

// Wipe zeroes the inner and outer states and the working state; later calls to Tag fail.
func (k *Key) Wipe() {
	clear(k.inner[:])
	clear(k.outer[:])
	k.work.wipe()
	clear(k.sum[:])
	clear(k.pad[:])
	k.wiped = true
}

// AppendNormalized appends id to dst with surrounding white space trimmed and, if fold is
// set, its case folded, so that the two controllers' spellings of one identifier hash
// alike. It works on bytes so that the caller owns, and can wipe, every copy of the
// identifier; bytes that are not valid UTF-8 are kept as they are.
func AppendNormalized(dst, id []byte, fold bool) []byte {
	id = bytes.TrimSpace(id)
	if !fold {
		return append(dst, id...)
	}
	for len(id) > 0 {
		c := id[0]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			id = id[1:]
			continue
		}
		r, n := utf8.DecodeRune(id)
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, c)
		} else {
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
		id = id[n:]
	}
	return dst
}
