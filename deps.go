//go:build tools

// Package triad pins the modules the build needs before every package imports them.
package triad

import (
	_ "github.com/asynkron/protoactor-go/actor"
	_ "github.com/consensys/gnark-crypto/ecc/bn254/fr"
	_ "github.com/ipfs/go-log/v2"
	_ "github.com/libp2p/go-libp2p"
	_ "github.com/libp2p/go-libp2p/core/host"
	_ "github.com/libp2p/go-libp2p/p2p/net/gostream"
	_ "github.com/multiformats/go-multiaddr"
	_ "github.com/pelletier/go-toml/v2"
	_ "google.golang.org/protobuf/encoding/protowire"
	_ "google.golang.org/protobuf/proto"
)
