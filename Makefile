# The two commands of the README: `make demo` runs the product, `make test` proves it.
GO      ?= go
BIN     := bin/tongban
# -race doubles compile time on a 2-core machine but catches what matters in a
# concurrent service; RACE= turns it off.
RACE    ?= -race
TESTFLAGS ?= -timeout 20m

.PHONY: build demo test bench deps clean

build:
	$(GO) build -o $(BIN) ./cmd/tongban

deps:
	@deploy/dev/ensure-postgres.sh
	@if [ -x deploy/dev/ensure-chromium.sh ]; then deploy/dev/ensure-chromium.sh; fi

demo: deps build
	$(BIN) demo

test: deps build
	$(GO) vet ./...
	$(BIN) testenv -- $(GO) test $(RACE) $(TESTFLAGS) ./...

# The benchmarks behind the README's figures; each prints a RESULT line.
bench: deps build
	$(BIN) bench handoff -duration 20s
	$(BIN) testenv -- $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./...

clean:
	rm -rf bin .data
