package keyedhash

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"
	"unicode/utf8"
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
		ta, err := ka.Tag([]byte(id))
		if err != nil {
			t.Fatal(err)
		}
		tb, _ := kb.Tag([]byte(id))
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id))
		if ta != tb || !bytes.Equal(ta[:], m.Sum(nil)) {
			t.Fatalf("tag of %q: controllers disagree or differ from HMAC-SHA256 of the summed key", id)
		}
	}
}

// TestRFC4231 checks the HMAC-SHA256 vectors of RFC 4231 (all but case 5, which
// truncates the output) and that crypto/hmac agrees with each.
func TestRFC4231(t *testing.T) {
	rep := func(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }
	seq := make([]byte, 25)
	for i := range seq {
		seq[i] = byte(i + 1)
	}
	for _, c := range []struct {
		name      string
		key, data []byte
		want      string
	}{
		{"1", rep(0x0b, 20), []byte("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
		{"2", []byte("Jefe"), []byte("what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"3", rep(0xaa, 20), rep(0xdd, 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
		{"4", seq, rep(0xcd, 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
		{"6", rep(0xaa, 131), []byte("Test Using Larger Than Block-Size Key - Hash Key First"), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
		{"7", rep(0xaa, 131), []byte("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
	} {
		tag, err := newKey(c.key).Tag(c.data)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(tag[:]); got != c.want {
			t.Errorf("case %s: tag = %s, want %s", c.name, got, c.want)
		}
		m := hmac.New(sha256.New, c.key)
		m.Write(c.data)
		if got := hex.EncodeToString(m.Sum(nil)); got != c.want {
			t.Errorf("case %s: crypto/hmac gives %s, want %s", c.name, got, c.want)
		}
	}
}

// TestMatchesCryptoHMAC compares tags with crypto/hmac over keys and messages of every
// length around the block boundaries, where padding takes one or two blocks.
func TestMatchesCryptoHMAC(t *testing.T) {
	buf := make([]byte, 200)
	rand.Read(buf)
	for _, kl := range []int{0, 1, 31, 32, 33, 63, 64, 65, 100, 128, 129} {
		key := buf[:kl]
		k := newKey(key)
		for ml := range 200 {
			msg := buf[200-ml:]
			m := hmac.New(sha256.New, key)
			m.Write(msg)
			got, err := k.Tag(msg)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[:], m.Sum(nil)) {
				t.Fatalf("key of %d bytes, message of %d bytes: tag differs from crypto/hmac", kl, ml)
			}
		}
	}
}

// TestDigestMatchesSHA256 compares the package's SHA-256 with crypto/sha256 for every
// message length up to three blocks, written in pieces of varying sizes.
func TestDigestMatchesSHA256(t *testing.T) {
	msg := make([]byte, 3*64+1)
	rand.Read(msg)
	for n := range len(msg) {
		for _, piece := range []int{1, 7, 63, 64, 65, 1000} {
			var d digest
			d.reset()
			for p := msg[:n]; len(p) > 0; {
				k := min(piece, len(p))
				d.write(p[:k])
				p = p[k:]
			}
			var got [Size]byte
			d.sum(&got)
			if want := sha256.Sum256(msg[:n]); got != want {
				t.Fatalf("%d bytes in pieces of %d: digest differs from crypto/sha256", n, piece)
			}
			if d != (digest{}) {
				t.Fatalf("%d bytes: digest state left after sum", n)
			}
		}
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
	if k.inner != want.inner || k.outer != want.outer {
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
	t1, _ := k1.Tag([]byte("123456"))
	t2, _ := k2.Tag([]byte("123456"))
	if t1 == t2 {
		t.Fatal("two independent keys gave the same tag")
	}
}

// TestKeyKeepsOnlyItsStates checks that a key holds nothing of the key bytes but the
// inner and outer states once made, and nothing of an identifier once it has tagged it.
func TestKeyKeepsOnlyItsStates(t *testing.T) {
	k, _, _ := agree(t)
	if k.pad != [64]byte{} || k.work != (digest{}) || k.sum != [Size]byte{} {
		t.Fatal("the padded key or a working state is left after the key was made")
	}
	if k.inner == [8]uint32{} || k.outer == [8]uint32{} {
		t.Fatal("the key has no inner or outer state")
	}
	for _, n := range []int{0, 5, 55, 56, 64, 120} {
		if _, err := k.Tag(bytes.Repeat([]byte{'7'}, n)); err != nil {
			t.Fatal(err)
		}
		if k.work != (digest{}) || k.sum != [Size]byte{} {
			t.Fatalf("tagging %d bytes left its block, schedule or inner hash in the key", n)
		}
	}
}

func TestWipe(t *testing.T) {
	k, _, _ := agree(t)
	if _, err := k.Tag([]byte("x")); err != nil {
		t.Fatal(err)
	}
	k.Wipe()
	if k.inner != [8]uint32{} || k.outer != [8]uint32{} || k.work != (digest{}) || k.sum != [Size]byte{} || k.pad != [64]byte{} {
		t.Fatal("key material left after Wipe")
	}
	if _, err := k.Tag([]byte("x")); !errors.Is(err, ErrWiped) {
		t.Fatalf("Tag after Wipe: err = %v, want ErrWiped", err)
	}
	s, _ := NewShare(rand.Reader)
	s.Wipe()
	if s.value != [Size]byte{} || s.nonce != [Size]byte{} {
		t.Fatal("share left after Wipe")
	}
}

// TestJointKeyWipesSharesOnEveryPath checks that the caller's share and the opening it
// received are zero after JointKey, whether the opening matched, did not, or was short.
func TestJointKeyWipesSharesOnEveryPath(t *testing.T) {
	for _, c := range []struct {
		name   string
		tamper func(c *Commitment, opening []byte) []byte
		ok     bool
	}{
		{"match", func(_ *Commitment, o []byte) []byte { return o }, true},
		{"bad commitment", func(c *Commitment, o []byte) []byte { c[0] ^= 1; return o }, false},
		{"short opening", func(_ *Commitment, o []byte) []byte { return o[:OpeningSize-1] }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			mine, _ := NewShare(rand.Reader)
			theirs, _ := NewShare(rand.Reader)
			cm := theirs.Commitment()
			opening := c.tamper(&cm, theirs.Opening())
			k, err := JointKey(mine, cm, opening)
			if (err == nil) != c.ok {
				t.Fatalf("err = %v", err)
			}
			if k != nil {
				k.Wipe()
			}
			if mine.value != [Size]byte{} || mine.nonce != [Size]byte{} {
				t.Fatal("own share left after JointKey")
			}
			if !bytes.Equal(opening, make([]byte, len(opening))) {
				t.Fatal("the other's opening left after JointKey")
			}
		})
	}
}

// TestAppendNormalized checks trimming and folding against the strings package for
// valid UTF-8, and that invalid bytes are kept rather than merged into U+FFFD.
func TestAppendNormalized(t *testing.T) {
	for _, c := range []struct {
		in   string
		fold bool
		want string
	}{
		{"  AB12 \t", true, "ab12"},
		{"  AB12 \t", false, "AB12"},
		{"x", true, "x"},
		{"", true, ""},
		{"\u00a0ÄÖÜ-Straße\u2003", true, "äöü-straße"},
		{"Ⱥb", true, "ⱥb"}, // folding may lengthen the identifier
		{"A\xffB\xfe", true, "a\xffb\xfe"},
	} {
		got := AppendNormalized([]byte("prefix:"), []byte(c.in), c.fold)
		if string(got) != "prefix:"+c.want {
			t.Errorf("AppendNormalized(%q, %v) = %q, want %q", c.in, c.fold, got[7:], c.want)
		}
		if utf8.ValidString(c.in) {
			ref := strings.TrimSpace(c.in)
			if c.fold {
				ref = strings.ToLower(ref)
			}
			if string(got[7:]) != ref {
				t.Errorf("AppendNormalized(%q, %v) = %q, strings gives %q", c.in, c.fold, got[7:], ref)
			}
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
