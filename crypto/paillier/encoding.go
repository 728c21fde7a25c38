package paillier

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
)

// publicKeyVersion is the first byte of a marshalled public key.
const publicKeyVersion = 1

// MarshalBinary encodes pk as a version byte (1), the length of n in bytes as
// a big-endian uint16, and n in big-endian without leading zeros. The format
// is stable: ParsePublicKey accepts exactly what MarshalBinary produces.
func (pk *PublicKey) MarshalBinary() ([]byte, error) {
	nb := pk.n.Bytes()
	if len(nb) > 0xffff {
		return nil, errors.New("paillier: modulus too long to encode")
	}
	b := make([]byte, 3, 3+len(nb))
	b[0] = publicKeyVersion
	binary.BigEndian.PutUint16(b[1:3], uint16(len(nb)))
	return append(b, nb...), nil
}

// ParsePublicKey decodes a public key encoded by MarshalBinary. It rejects an
// unknown version, a length that does not match, a non-canonical encoding, an
// even modulus and a modulus outside [MinBits, MaxBits].
func ParsePublicKey(b []byte) (*PublicKey, error) {
	if len(b) < 3 {
		return nil, fmt.Errorf("paillier: public key of %d bytes is too short", len(b))
	}
	if b[0] != publicKeyVersion {
		return nil, fmt.Errorf("paillier: unknown public key version %d", b[0])
	}
	l := int(binary.BigEndian.Uint16(b[1:3]))
	if l != len(b)-3 {
		return nil, fmt.Errorf("paillier: public key announces %d bytes of modulus, has %d", l, len(b)-3)
	}
	nb := b[3:]
	if l == 0 || nb[0] == 0 {
		return nil, errors.New("paillier: public key modulus is not canonically encoded")
	}
	n := new(big.Int).SetBytes(nb)
	if bits := n.BitLen(); bits < MinBits || bits > MaxBits {
		return nil, fmt.Errorf("paillier: public key modulus of %d bits: want [%d, %d]", bits, MinBits, MaxBits)
	}
	if n.Bit(0) == 0 {
		return nil, errors.New("paillier: public key modulus is even")
	}
	return newPublicKey(n), nil
}

// CiphertextSize returns the length in bytes of every serialised ciphertext
// under pk: the length of n².
func (pk *PublicKey) CiphertextSize() int { return pk.ctSize }

// AppendCiphertext appends c to dst as a big-endian integer of exactly
// CiphertextSize bytes and returns the extended slice.
func (pk *PublicKey) AppendCiphertext(dst []byte, c *Ciphertext) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, pk.ctSize)...)
	c.c.FillBytes(dst[start:])
	return dst
}

// ParseCiphertext decodes a ciphertext written by AppendCiphertext. The fixed
// width is the format: b must be exactly CiphertextSize bytes and encode a
// value in (0, n²). It does not check that the value is a unit mod n²; one
// that is not could only come from someone who knows the factors of n.
func (pk *PublicKey) ParseCiphertext(b []byte) (*Ciphertext, error) {
	if len(b) != pk.ctSize {
		return nil, fmt.Errorf("paillier: ciphertext of %d bytes: want %d", len(b), pk.ctSize)
	}
	c := new(big.Int).SetBytes(b)
	if err := pk.checkUnit(c, "ciphertext"); err != nil {
		return nil, err
	}
	return &Ciphertext{c: c}, nil
}
