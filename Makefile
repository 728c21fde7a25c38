# Triad: build, demo, tests and benchmarks. Requires Go >= 1.26.8.

GO      ?= go
BIN     := bin/triad
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
PKGS    := ./...

.PHONY: all build demo test check unit testnet lint fuzz bench clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/triad

# The main job: a whole session on built-in synthetic data, three parties in one process.
demo: build
	./$(BIN) demo --out triad-out

# Everything CI runs: formatting, vet, staticcheck, unit and protocol tests, and the
# three-process testnet.
test: check unit testnet

check: lint
	@fmt=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$fmt" ]; then echo "gofmt needed on:"; echo "$$fmt"; exit 1; fi
	$(GO) vet $(PKGS)

unit:
	$(GO) test -count=1 -timeout 20m $(PKGS)

testnet: build
	./testnet/run.sh $(BIN)

lint:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)

# Short fuzzing of every byte decoder.
fuzz:
	$(GO) test ./crypto/paillier/ -run XXX -fuzz FuzzParsePublicKey -fuzztime 20s
	$(GO) test ./crypto/paillier/ -run XXX -fuzz FuzzParseCiphertext -fuzztime 20s
	$(GO) test ./crypto/paillier/ -run XXX -fuzz FuzzUnpack -fuzztime 20s
	$(GO) test ./crypto/paillier/ -run XXX -fuzz FuzzMontgomeryMul -fuzztime 20s
	$(GO) test ./crypto/keyedhash/ -run XXX -fuzz FuzzJointKey -fuzztime 20s
	$(GO) test ./node/ -run XXX -fuzz FuzzReadFrame -fuzztime 20s
	$(GO) test ./node/ -run XXX -fuzz FuzzParseHello -fuzztime 20s
	$(GO) test ./protocol/join/ -run XXX -fuzz FuzzReadTable -fuzztime 20s
	$(GO) test ./protocol/session/ -run XXX -fuzz FuzzCheckHello -fuzztime 20s

bench: build
	$(GO) test -run XXX -bench . -benchtime 20x ./crypto/...
	./$(BIN) bench paillier --bits 2048 --ops 200
	./$(BIN) bench join --rows 5000 --features-a 15 --features-b 15
	./$(BIN) bench lasso --rows 100000 --features 30

clean:
	rm -rf bin triad-out
