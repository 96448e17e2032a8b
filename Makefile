# statusgen — see README.md.
GO      ?= go
BIN     := bin/statusgen
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/Sefaria/statusgen/internal/cli.version=$(VERSION)

.PHONY: build test run bench lint fuzz docker-check clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/statusgen

# The CI command: vet, then every test with the race detector.
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# One real cycle against services.toml, writing data/ and site/.
run: build
	./$(BIN) once

# Every performance target in one table (see README, Performance): the Go
# benchmarks (medians of 5 runs) and a load run of `statusgen run` against a
# local target. LOAD_FLAGS scales the load run, e.g.
# LOAD_FLAGS="-services 1000 -interval 20s -cycles 1" for a quick look.
LOAD_FLAGS ?= -services 10000 -interval 60s -cycles 2
bench: build
	$(GO) run ./cmd/statusgen-load -bin $(BIN) $(LOAD_FLAGS)

FUZZTIME ?= 10s
# Each fuzz target briefly; a failing input is written to testdata/fuzz/.
# -fuzzminimizetime 0: FuzzScan fsyncs per input and would spend its whole
# budget minimizing.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0 ./internal/config
	$(GO) test -run '^$$' -fuzz '^FuzzScan$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0 ./internal/history
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0 ./internal/tracker
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0 ./internal/notice

# gofmt and vet, then actionlint over .github/workflows and shellcheck over
# the scripts (deploy/lint_test.go: a missing tool skips locally, fails
# under CI=true; .ci/run installs both).
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -count=1 -run '^(TestActionlint|TestShellcheck|TestStatusWorkflow)$$' ./deploy

# Docker cannot build here: run the Dockerfile's own go build command in the
# context .dockerignore leaves, and compose.yaml's bind mounts of site/ with a
# real Caddy (deploy/docker_test.go, deploy/mount_test.go; part of make test).
docker-check:
	$(GO) test -count=1 -run '^(TestDockerfileBuild|TestDockerignore|TestSiteOnBindMount)$$' ./deploy

clean:
	rm -rf bin
