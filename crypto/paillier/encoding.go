package paillier

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
)

// publicKeyVersion is the first byte of a marshalled public key. Version 1
// carried n alone, for keys whose randomness generator each pool drew
// itself; version 2 adds the key's subgroup generator hs.
const publicKeyVersion = 2

// MarshalBinary encodes pk as a version byte (2), then n and hs, each as its
// length in bytes (a big-endian uint16) followed by the value in big-endian
// without leading zeros. The format is stable: ParsePublicKey accepts exactly
// what MarshalBinary produces.
func (pk *PublicKey) MarshalBinary() ([]byte, error) {
	nb, hb := pk.n.Bytes(), pk.hs.Bytes()
	if len(nb) > 0xffff || len(hb) > 0xffff {
		return nil, errors.New("paillier: public key too long to encode")
	}
	b := make([]byte, 0, 1+2+len(nb)+2+len(hb))
	b = append(b, publicKeyVersion)
	b = binary.BigEndian.AppendUint16(b, uint16(len(nb)))
	b = append(b, nb...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(hb)))
	return append(b, hb...), nil
}

// ParsePublicKey decodes a public key encoded by MarshalBinary. It rejects
// version 1 and unknown versions, lengths that do not match, non-canonical
// encodings, an even modulus or one outside [MinBits, MaxBits], and an hs
// that is not a unit of Z*_{n²} other than 1. It cannot check that hs has the
// small order GenerateKey gives it: only the factors of n reveal that.
func ParsePublicKey(b []byte) (*PublicKey, error) {
	if len(b) == 0 {
		return nil, errors.New("paillier: empty public key")
	}
	switch b[0] {
	case publicKeyVersion:
	case 1:
		return nil, errors.New("paillier: public key version 1 has no subgroup generator: generate a new key")
	default:
		return nil, fmt.Errorf("paillier: unknown public key version %d", b[0])
	}
	nb, rest, err := readField(b[1:], "modulus")
	if err != nil {
		return nil, err
	}
	hb, rest, err := readField(rest, "subgroup generator")
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("paillier: %d bytes after the public key", len(rest))
	}
	n := new(big.Int).SetBytes(nb)
	if bits := n.BitLen(); bits < MinBits || bits > MaxBits {
		return nil, fmt.Errorf("paillier: public key modulus of %d bits: want [%d, %d]", bits, MinBits, MaxBits)
	}
	if n.Bit(0) == 0 {
		return nil, errors.New("paillier: public key modulus is even")
	}
	hs := new(big.Int).SetBytes(hb)
	if hs.Cmp(one) <= 0 || hs.Cmp(new(big.Int).Mul(n, n)) >= 0 {
		return nil, errors.New("paillier: public key subgroup generator must lie in (1, n²)")
	}
	if new(big.Int).GCD(nil, nil, hs, n).Cmp(one) != 0 {
		return nil, errors.New("paillier: public key subgroup generator is not a unit mod n")
	}
	return newPublicKey(n, hs), nil
}

// readField splits a field of b, a big-endian uint16 length and that many
// bytes of a canonical big-endian integer, from the rest of b.
func readField(b []byte, what string) (field, rest []byte, err error) {
	if len(b) < 2 {
		return nil, nil, fmt.Errorf("paillier: public key ends before the length of its %s", what)
	}
	l := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if l > len(b) {
		return nil, nil, fmt.Errorf("paillier: public key announces %d bytes of %s, has %d", l, what, len(b))
	}
	if l == 0 || b[0] == 0 {
		return nil, nil, fmt.Errorf("paillier: public key %s is not canonically encoded", what)
	}
	return b[:l], b[l:], nil
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
