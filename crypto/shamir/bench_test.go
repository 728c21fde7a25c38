package shamir

import (
	"crypto/rand"
	"testing"
)

func BenchmarkShare65536(b *testing.B) {
	v, err := RandomVector(rand.Reader, 1<<16)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(v)) * 32)
	for b.Loop() {
		if _, err := Share(rand.Reader, v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReconstruct65536(b *testing.B) {
	v, _ := RandomVector(rand.Reader, 1<<16)
	s, err := Share(rand.Reader, v)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(v)) * 32)
	for b.Loop() {
		if _, err := Reconstruct(0, 2, s[0], s[2]); err != nil {
			b.Fatal(err)
		}
	}
}
