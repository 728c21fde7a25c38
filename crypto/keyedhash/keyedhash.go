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
package keyedhash

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strings"
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
	h := sha256.New()
	h.Write(nonce)
	h.Write(value)
	var c Commitment
	h.Sum(c[:0])
	return c
}

// ErrBadOpening is returned when the other side's opening does not match its commitment.
var ErrBadOpening = errors.New("keyedhash: opening does not match commitment")

// JointKey checks the other controller's opening against the commitment it sent earlier
// and returns the key mine + theirs mod 2^256. It wipes mine.
func JointKey(mine *Share, theirs Commitment, opening []byte) (*Key, error) {
	if len(opening) != OpeningSize {
		return nil, fmt.Errorf("keyedhash: opening is %d bytes, want %d", len(opening), OpeningSize)
	}
	got := commit(opening[:Size], opening[Size:])
	if subtle.ConstantTimeCompare(got[:], theirs[:]) != 1 {
		return nil, ErrBadOpening
	}
	var sum [Size]byte
	carry := 0
	for i := Size - 1; i >= 0; i-- {
		t := int(mine.value[i]) + int(opening[Size+i]) + carry
		sum[i] = byte(t)
		carry = t >> 8
	}
	mine.Wipe()
	k := newKey(sum[:])
	clear(sum[:])
	return k, nil
}

// Key computes identifier tags. It keeps its own HMAC pads so that Wipe can erase every
// copy of the key material.
type Key struct {
	ipad, opad [sha256.BlockSize]byte
	wiped      bool
}

func newKey(k []byte) *Key {
	key := new(Key)
	copy(key.ipad[:], k)
	copy(key.opad[:], k)
	for i := range key.ipad {
		key.ipad[i] ^= 0x36
		key.opad[i] ^= 0x5c
	}
	return key
}

// ErrWiped is returned by a key used after Wipe.
var ErrWiped = errors.New("keyedhash: key has been wiped")

// Tag returns HMAC-SHA256(key, id). Callers normalise id first (see Normalize).
func (k *Key) Tag(id string) ([Size]byte, error) {
	var tag [Size]byte
	if k.wiped {
		return tag, ErrWiped
	}
	inner := sha256.New()
	inner.Write(k.ipad[:])
	inner.Write([]byte(id))
	var ih [Size]byte
	inner.Sum(ih[:0])
	outer := sha256.New()
	outer.Write(k.opad[:])
	outer.Write(ih[:])
	outer.Sum(tag[:0])
	return tag, nil
}

// Wipe zeroes the key; later calls to Tag fail.
func (k *Key) Wipe() {
	clear(k.ipad[:])
	clear(k.opad[:])
	k.wiped = true
}

// Normalize trims surrounding white space and, if fold is set, folds case, so that the
// two controllers' spellings of one identifier hash alike.
func Normalize(id string, fold bool) string {
	id = strings.TrimSpace(id)
	if fold {
		id = strings.ToLower(id)
	}
	return id
}
