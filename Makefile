# cloudp11 — build, test and demo targets. `make help` lists them.
SHELL      := /bin/bash
GO         ?= go
BUILD      := build
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS    := -X main.version=$(VERSION)
# The differential tests against the reference libconfig C library need libconfig-dev.
TEST_TAGS  ?= libconfigref
FUZZTIME   ?= 5m

.PHONY: all help build lib FORCE test test-short demo fuzz lint clean bench

all: build

help:
	@echo "make build   build libcloudp11.so, ppin and hsmd into $(BUILD)/"
	@echo "make lib     build $(BUILD)/libcloudp11.so only"
	@echo "make test    the whole test suite (needs the packages .ci/run installs)"
	@echo "make demo    walk through the Primus workflow in a temporary folder"
	@echo "make fuzz    run every fuzz target for FUZZTIME (default $(FUZZTIME)) each"
	@echo "make lint    gofmt and go vet"
	@echo "make bench   ops/s through SoftHSM, p11-kit and libcloudp11.so; writes docs/benchmarks.md"

build: lib
	@mkdir -p $(BUILD)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BUILD)/ppin ./cmd/ppin
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BUILD)/hsmd ./cmd/hsmd

# The PKCS#11 module. -z nodelete: a Go runtime must never be unloaded by dlclose (its threads
# would run on in unmapped code). The version script exports the C_* functions only.
LIB_LDFLAGS := -X github.com/cloudp11/cloudp11/core.version=$(VERSION) \
	-extldflags "-Wl,-z,nodelete -Wl,--version-script=$(CURDIR)/p11/libcloudp11.map"

lib: $(BUILD)/libcloudp11.so

# Always handed to go build, whose cache knows better than make what changed.
$(BUILD)/libcloudp11.so: FORCE
	@mkdir -p $(BUILD)
	$(GO) build -trimpath -buildmode=c-shared -ldflags '$(LIB_LDFLAGS)' -o $@ ./p11

# The second line runs the end-to-end tests of 64 goroutines on libcloudp11.so and on SoftHSM
# again under the race detector.
test: lint
	$(GO) test -tags '$(TEST_TAGS)' -count=1 ./...
	$(GO) test -race -count=1 -run '^TestConcurrent' ./tests/e2e

test-short:
	$(GO) test -tags '$(TEST_TAGS)' -short ./...

demo: build
	@bash tests/demo.sh $(BUILD)

# Every Fuzz* function of every package, one after the other (the machine has two cores).
fuzz:
	@set -e; for pkg in $$($(GO) list -tags '$(TEST_TAGS)' ./...); do \
		dir=$$($(GO) list -tags '$(TEST_TAGS)' -f '{{.Dir}}' $$pkg); \
		for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
			echo "== $$pkg $$f ($(FUZZTIME))"; \
			$(GO) test -tags '$(TEST_TAGS)' -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

# Every case through SoftHSM loaded directly, p11-kit's remote client and libcloudp11.so → hsmd, in
# one run of about seven minutes; the table goes into docs/benchmarks.md between its markers.
# BENCHARGS adds flags of tests/bench/main_test.go, e.g. BENCHARGS='-bench.ops=ecdsa-p256
# -bench.perf=/tmp/prof'. Benchmarks never run in make test.
BENCHARGS ?=
bench: lib
	$(GO) test -count=1 -run '^$$' -bench '^BenchmarkModules$$' -benchtime 1x -timeout 30m ./tests/bench \
		-args -bench.report='$(CURDIR)/docs/benchmarks.md' -bench.version='$(VERSION)' $(BENCHARGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet -tags '$(TEST_TAGS)' ./...

clean:
	rm -rf $(BUILD)
