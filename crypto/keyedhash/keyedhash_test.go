package keyedhash

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"testing"
)

func agree(t *testing.T) (*Key, *Key, [2][]byte) {
	t.Helper()
	a, err := NewShare(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewShare(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca, cb := a.Commitment(), b.Commitment()
	oa, ob := a.Opening(), b.Opening()
	values := [2][]byte{append([]byte(nil), oa[Size:]...), append([]byte(nil), ob[Size:]...)}
	ka, err := JointKey(a, cb, ob)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := JointKey(b, ca, oa)
	if err != nil {
		t.Fatal(err)
	}
	return ka, kb, values
}

func TestJointKeyIsSumAndMatchesHMAC(t *testing.T) {
	ka, kb, values := agree(t)
	sum := new(big.Int).Add(new(big.Int).SetBytes(values[0]), new(big.Int).SetBytes(values[1]))
	sum.Mod(sum, new(big.Int).Lsh(big.NewInt(1), 256))
	key := sum.FillBytes(make([]byte, Size))
	for _, id := range []string{"", "123456", "patient-0001", "Ünïcode ✓"} {
		ta, err := ka.Tag(id)
		if err != nil {
			t.Fatal(err)
		}
		tb, _ := kb.Tag(id)
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id))
		if ta != tb || !bytes.Equal(ta[:], m.Sum(nil)) {
			t.Fatalf("tag of %q: controllers disagree or differ from HMAC-SHA256 of the summed key", id)
		}
	}
}

// RFC 4231 test case 2: HMAC pads a short key with zeros, so "Jefe" padded to 32 bytes
// gives the published tag.
func TestKnownVector(t *testing.T) {
	k := newKey(append([]byte("Jefe"), make([]byte, Size-4)...))
	tag, err := k.Tag("what do ya want for nothing?")
	if err != nil {
		t.Fatal(err)
	}
	want := "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	if got := hex.EncodeToString(tag[:]); got != want {
		t.Fatalf("tag = %s, want %s", got, want)
	}
}

func TestCarryWrapsMod2To256(t *testing.T) {
	mine := &Share{}
	for i := range mine.value {
		mine.value[i] = 0xff
	}
	other := &Share{}
	other.value[Size-1] = 2 // (2^256 - 1) + 2 = 1 mod 2^256
	k, err := JointKey(mine, other.Commitment(), other.Opening())
	if err != nil {
		t.Fatal(err)
	}
	want := newKey(append(make([]byte, Size-1), 1))
	if k.ipad != want.ipad || k.opad != want.opad {
		t.Fatal("key is not the sum mod 2^256")
	}
}

func TestBadOpeningIsRejected(t *testing.T) {
	a, _ := NewShare(rand.Reader)
	b, _ := NewShare(rand.Reader)
	cb := b.Commitment()
	ob := b.Opening()
	for i := range OpeningSize {
		tampered := append([]byte(nil), ob...)
		tampered[i] ^= 1
		if _, err := JointKey(a, cb, tampered); !errors.Is(err, ErrBadOpening) {
			t.Fatalf("flipping byte %d of the opening: err = %v, want ErrBadOpening", i, err)
		}
	}
	cb[0] ^= 1
	if _, err := JointKey(a, cb, ob); !errors.Is(err, ErrBadOpening) {
		t.Fatalf("tampered commitment: err = %v, want ErrBadOpening", err)
	}
	if _, err := JointKey(a, b.Commitment(), ob[:10]); err == nil {
		t.Fatal("short opening accepted")
	}
}

func TestDifferentKeysGiveDifferentTags(t *testing.T) {
	k1, _, _ := agree(t)
	k2, _, _ := agree(t)
	t1, _ := k1.Tag("123456")
	t2, _ := k2.Tag("123456")
	if t1 == t2 {
		t.Fatal("two independent keys gave the same tag")
	}
}

func TestWipe(t *testing.T) {
	k, _, _ := agree(t)
	k.Wipe()
	if k.ipad != [sha256.BlockSize]byte{} || k.opad != [sha256.BlockSize]byte{} {
		t.Fatal("key material left after Wipe")
	}
	if _, err := k.Tag("x"); !errors.Is(err, ErrWiped) {
		t.Fatalf("Tag after Wipe: err = %v, want ErrWiped", err)
	}
	s, _ := NewShare(rand.Reader)
	s.Wipe()
	if s.value != [Size]byte{} || s.nonce != [Size]byte{} {
		t.Fatal("share left after Wipe")
	}
}

func TestNormalize(t *testing.T) {
	for _, c := range []struct {
		in   string
		fold bool
		want string
	}{
		{"  AB12 \t", true, "ab12"},
		{"  AB12 \t", false, "AB12"},
		{"x", true, "x"},
		{"", true, ""},
	} {
		if got := Normalize(c.in, c.fold); got != c.want {
			t.Errorf("Normalize(%q, %v) = %q, want %q", c.in, c.fold, got, c.want)
		}
	}
}

func FuzzJointKey(f *testing.F) {
	s := &Share{}
	c := s.Commitment()
	f.Add(c[:], s.Opening())
	f.Add(make([]byte, Size), make([]byte, 10))
	f.Fuzz(func(t *testing.T, commitment, opening []byte) {
		var c Commitment
		copy(c[:], commitment)
		mine, _ := NewShare(rand.Reader)
		k, err := JointKey(mine, c, opening)
		if err == nil && (len(opening) != OpeningSize || commit(opening[:Size], opening[Size:]) != c) {
			t.Fatal("accepted an opening that does not match")
		}
		if err == nil {
			k.Wipe()
		}
	})
}
