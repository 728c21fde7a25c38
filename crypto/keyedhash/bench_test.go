package keyedhash

import (
	"crypto/rand"
	"testing"
)

func BenchmarkTag(b *testing.B) {
	k := newKey(make([]byte, Size))
	for b.Loop() {
		if _, err := k.Tag([]byte("NL123456789")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJointKey(b *testing.B) {
	for b.Loop() {
		mine, _ := NewShare(rand.Reader)
		theirs, _ := NewShare(rand.Reader)
		if _, err := JointKey(mine, theirs.Commitment(), theirs.Opening()); err != nil {
			b.Fatal(err)
		}
	}
}
