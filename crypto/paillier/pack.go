package paillier

import (
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
)

// Layout places several values side by side in one plaintext. Slot i holds
// bits [i·w, (i+1)·w) of the plaintext, w = valueBits + κ + 1: a value below
// 2^valueBits plus a mask below 2^(valueBits+κ) is below 2^w, so adding
// packed masks to packed values never carries from one slot into the next,
// and the whole plaintext stays below 2^(keyBits−1) ≤ n, so nothing wraps
// mod n either.
//
// A mask of valueBits+κ bits hides a value of valueBits bits statistically:
// the distributions of value+mask for any two values differ by at most 2^−κ.
type Layout struct {
	valueBits int
	kappa     int
	slotBits  int
	slots     int
}

// NewLayout returns the layout for values of valueBits bits, masks with κ
// extra bits, and a key of keyBits bits. It fails unless at least one slot
// fits in the keyBits−1 bits every plaintext below n can use.
func NewLayout(valueBits, kappa, keyBits int) (Layout, error) {
	if valueBits < 1 || kappa < 0 {
		return Layout{}, fmt.Errorf("paillier: layout with %d value bits and κ = %d: want ≥ 1 and ≥ 0", valueBits, kappa)
	}
	slotBits := valueBits + kappa + 1
	slots := (keyBits - 1) / slotBits
	if keyBits < 2 || slots < 1 {
		return Layout{}, fmt.Errorf("paillier: a slot of %d bits does not fit a %d-bit key", slotBits, keyBits)
	}
	return Layout{valueBits: valueBits, kappa: kappa, slotBits: slotBits, slots: slots}, nil
}

// Slots returns how many values one plaintext holds.
func (l Layout) Slots() int { return l.slots }

// SlotBits returns the width of a slot, valueBits + κ + 1.
func (l Layout) SlotBits() int { return l.slotBits }

// ValueBits returns the number of bits of a value.
func (l Layout) ValueBits() int { return l.valueBits }

// Kappa returns the statistical security parameter κ of the masks.
func (l Layout) Kappa() int { return l.kappa }

// Ciphertexts returns how many plaintexts hold the given number of values.
func (l Layout) Ciphertexts(values int) int {
	if values <= 0 {
		return 0
	}
	return (values + l.slots - 1) / l.slots
}

// Pack returns the plaintext holding vals[i] in slot i. It takes at most
// Slots values, each in [0, 2^valueBits).
func (l Layout) Pack(vals []*big.Int) (*big.Int, error) {
	if len(vals) > l.slots {
		return nil, fmt.Errorf("paillier: packing %d values into %d slots", len(vals), l.slots)
	}
	for i, v := range vals {
		if v == nil || v.Sign() < 0 || v.BitLen() > l.valueBits {
			return nil, fmt.Errorf("paillier: packed value %d out of range [0, 2^%d)", i, l.valueBits)
		}
	}
	return l.pack(vals), nil
}

// pack places vals in consecutive slots without checking their range.
func (l Layout) pack(vals []*big.Int) *big.Int {
	p := new(big.Int)
	for i := len(vals) - 1; i >= 0; i-- {
		p.Lsh(p, uint(l.slotBits))
		p.Add(p, vals[i])
	}
	return p
}

// Unpack returns the contents of the first count slots of p, each below
// 2^SlotBits. p must be a plaintext of this layout: non-negative and below
// 2^(Slots·SlotBits).
func (l Layout) Unpack(p *big.Int, count int) ([]*big.Int, error) {
	if count < 0 || count > l.slots {
		return nil, fmt.Errorf("paillier: unpacking %d of %d slots", count, l.slots)
	}
	if p == nil || p.Sign() < 0 || p.BitLen() > l.slots*l.slotBits {
		return nil, fmt.Errorf("paillier: unpacking a value that is not a packed plaintext of %d slots of %d bits", l.slots, l.slotBits)
	}
	mask := new(big.Int).Lsh(one, uint(l.slotBits))
	mask.Sub(mask, one)
	out := make([]*big.Int, count)
	rest := new(big.Int).Set(p)
	for i := range out {
		out[i] = new(big.Int).And(rest, mask)
		rest.Rsh(rest, uint(l.slotBits))
	}
	wipeInt(rest)
	return out, nil
}

// Mask draws count masks uniformly from [0, 2^(valueBits+κ)) and returns
// them packed into slots 0 to count−1, and one by one.
func (l Layout) Mask(random io.Reader, count int) (packed *big.Int, masks []*big.Int, err error) {
	if count < 0 || count > l.slots {
		return nil, nil, fmt.Errorf("paillier: drawing %d masks for %d slots", count, l.slots)
	}
	bound := new(big.Int).Lsh(one, uint(l.valueBits+l.kappa))
	masks = make([]*big.Int, count)
	for i := range masks {
		if masks[i], err = rand.Int(random, bound); err != nil {
			for _, m := range masks[:i] {
				wipeInt(m)
			}
			return nil, nil, fmt.Errorf("paillier: drawing masks: %w", err)
		}
	}
	return l.pack(masks), masks, nil
}
