package mpc

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// prg is a pseudo-random generator: AES-256 in counter mode under a 32-byte key. The
// engine keeps one seeded from its private randomness, and one per PRSS key it shares
// with another party; two parties holding the same key draw the same values as long
// as they draw in the same order, which the deterministic protocol guarantees.
type prg struct {
	stream cipher.Stream
	buf    []byte
	zero   []byte // plaintext for the key stream: never written
}

const prgKeySize = 32

func newPRG(key []byte) *prg {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(fmt.Sprintf("mpc: AES key of %d bytes", len(key))) // keys are made here, always 32 bytes
	}
	return &prg{stream: cipher.NewCTR(block, make([]byte, aes.BlockSize))}
}

// seedPRG reads a fresh key from random.
func seedPRG(random io.Reader) (*prg, error) {
	key := make([]byte, prgKeySize)
	defer clear(key)
	if _, err := io.ReadFull(random, key); err != nil {
		return nil, fmt.Errorf("mpc: read randomness: %w", err)
	}
	return newPRG(key), nil
}

// bytes returns n bytes of key stream, valid until the next call.
func (g *prg) bytes(n int) []byte {
	if cap(g.buf) < n {
		g.buf = make([]byte, n)
		g.zero = make([]byte, n)
	}
	b := g.buf[:n]
	g.stream.XORKeyStream(b, g.zero[:n])
	return b
}

// key draws a new 32-byte key, for deriving independent generators.
func (g *prg) key() []byte { return append([]byte(nil), g.bytes(prgKeySize)...) }

// field sets every element of out to a uniform field element, by rejection sampling
// of 254-bit strings. The accepted strings are used as Montgomery representations
// directly: the Montgomery map is a bijection, so the elements are uniform too.
func (g *prg) field(out fr.Vector) {
	const chunk = 128 // elements' worth of key stream at a time, to stay in cache
	for filled := 0; filled < len(out); {
		b := g.bytes(chunk * fr.Bytes)
		for k := 0; k < chunk && filled < len(out); k++ {
			w := b[k*fr.Bytes : (k+1)*fr.Bytes]
			l := [4]uint64{
				binary.LittleEndian.Uint64(w[0:]), binary.LittleEndian.Uint64(w[8:]),
				binary.LittleEndian.Uint64(w[16:]), binary.LittleEndian.Uint64(w[24:]) & (1<<62 - 1),
			}
			if !belowModulus(&l) {
				continue
			}
			out[filled] = fr.Element(l)
			filled++
		}
	}
}

// bounded sets every element of out to a uniform integer in [0, 2^bits), bits ≤ 250.
func (g *prg) bounded(out fr.Vector, bits int) {
	nb := (bits + 7) / 8
	b := g.bytes(len(out) * nb)
	var chunk [fr.Bytes]byte
	top := byte(0xff >> (8*nb - bits))
	for k := range out {
		clear(chunk[:])
		copy(chunk[fr.Bytes-nb:], b[k*nb:(k+1)*nb])
		chunk[fr.Bytes-nb] &= top
		if nb <= 8 {
			out[k].SetUint64(binary.BigEndian.Uint64(chunk[fr.Bytes-8:]))
			continue
		}
		e, _ := fr.BigEndian.Element(&chunk) // below 2^250 < p
		out[k] = e
	}
}

// bits returns n uniform bits, one per byte.
func (g *prg) bits(n int) []byte {
	b := g.bytes((n + 7) / 8)
	out := make([]byte, n)
	for i := range out {
		out[i] = (b[i/8] >> (i % 8)) & 1
	}
	return out
}
