# statusgen — see README.md.
GO      ?= go
BIN     := bin/statusgen
# `statusgen version` reports both; the Dockerfile takes them as build
# arguments (make docker-build, or compose.yaml with VERSION and COMMIT set).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X github.com/Sefaria/statusgen/internal/cli.version=$(VERSION) -X github.com/Sefaria/statusgen/internal/cli.commit=$(COMMIT)

.PHONY: build test run serve bench lint fuzz docker-check docker-build compose-up clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/statusgen

# The CI command: vet, then every test with the race detector.
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# The quick start: one real cycle against CONFIG, written to RUN_DIR, which
# git ignores (data/ and site/ belong to the production runner).
CONFIG  ?= services.toml
RUN_DIR ?= .run
run: build
	./$(BIN) once --config $(CONFIG) --data $(RUN_DIR)/data --site $(RUN_DIR)/site
	@echo
	@echo "Wrote the history to $(RUN_DIR)/data and the page to $(RUN_DIR)/site (git ignores $(RUN_DIR))."
	@echo "Preview the page (make serve does the same):"
	@echo "  ./$(BIN) serve --site $(RUN_DIR)/site"

# Preview what make run wrote at http://127.0.0.1:8080/.
serve: build
	./$(BIN) serve --site $(RUN_DIR)/site

# Every performance target in one table (see docs/performance.md): the Go
# benchmarks (medians of 5 runs) and a load run of `statusgen run` against a
# local target, https first: one runner of https services and one of http
# services side by side, each figure next to its twin
# (docs/performance-https.md). LOAD_FLAGS scales the load run, e.g.
# LOAD_FLAGS="-services 1000 -interval 20s -cycles 1" for a quick look.
# LOCATION_FLAGS: then three `statusgen agent`s and a deciding `run` asking
# them, beside a single-location `run` (docs/performance.md, "Several
# locations"); LOCATION_FLAGS="-locations 3 -location-runs 1" is quicker.
LOAD_FLAGS ?= -services 10000 -interval 60s -cycles 2
LOCATION_FLAGS ?= -locations 3
bench: build
	$(GO) run ./cmd/statusgen-load -bin $(BIN) $(LOAD_FLAGS) $(LOCATION_FLAGS)

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

# Docker builds have no .git: pass what statusgen version reports.
docker-build:
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) -t statusgen .

compose-up:
	VERSION=$(VERSION) COMMIT=$(COMMIT) docker compose up -d --build

clean:
	rm -rf bin $(RUN_DIR)
