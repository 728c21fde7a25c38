// Package wire holds the protobuf messages that Triad's parties exchange.
package wire

//go:generate protoc --go_out=. --go_opt=paths=source_relative wire.proto
