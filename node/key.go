package node

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// GenerateKey creates a fresh Ed25519 identity and writes it to path, readable by its
// owner only (mode 0600). It refuses to replace an existing file, since a site's
// peer ID is what the other sites have configured: losing the old key would lock the
// site out of every session until they are reconfigured.
func GenerateKey(path string) (peer.ID, error) {
	sk, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return "", fmt.Errorf("generate identity key: %w", err)
	}
	id, err := peer.IDFromPrivateKey(sk)
	if err != nil {
		return "", fmt.Errorf("generate identity key: %w", err)
	}
	raw, err := crypto.MarshalPrivateKey(sk)
	if err != nil {
		return "", fmt.Errorf("encode identity key: %w", err)
	}
	defer clear(raw)

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("write identity key: %s already exists (remove it first if you really mean to replace this site's identity)", path)
	}
	if err != nil {
		return "", fmt.Errorf("write identity key: %w", err)
	}
	if _, err := f.Write(raw); err != nil {
		f.Close()
		os.Remove(path)
		return "", fmt.Errorf("write identity key %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return "", fmt.Errorf("write identity key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return "", fmt.Errorf("write identity key %s: %w", path, err)
	}
	return id, nil
}

// LoadKey reads an identity key written by GenerateKey. A key file that group or
// others may read is refused: anyone who can read it can impersonate the site.
func LoadKey(path string) (crypto.PrivKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load identity key: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("load identity key: %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("load identity key: %s has mode %04o, readable by group or others; run chmod 600 %s", path, perm, path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load identity key: %w", err)
	}
	defer clear(raw)
	sk, err := crypto.UnmarshalPrivateKey(raw)
	if err != nil {
		return nil, fmt.Errorf("load identity key %s: %w", path, err)
	}
	return sk, nil
}
