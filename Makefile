# ttcg: build, test, run and benchmark the parameter-sweep engine.
#
#   make            build the release binary (installs system libraries first if missing)
#   make test       what CI runs (.ci/run): build, then every test suite in release mode
#                   (Swift tests, notebooks-export checks, the Slurm test, the dist test in a chroot)
#   make run        the paper's experiment grid (jobs/paper.yaml) -> results.h5, with its summary
#   make notebooks  the paper's figures and tables from results.h5 -> notebooks-export/out/
#   make bench      the benchmark suite (Benchmarks/run.sh)
#   make dist       dist/ttcg-VERSION-linux-x86_64.tar.gz: runs on nodes without Swift, libzmq, HDF5
#   make fuzz       build the libFuzzer targets (Fuzz/) and run each for FUZZ_SECONDS (default 60)
#                   on its corpus; FUZZ_TARGETS="specReader ..." picks targets (docs/fuzzing.md)
#   make fuzz-seeds rewrite the seed corpus Fuzz/corpus/*/seed-* from fixtures and encoders
#   make deps       install libzmq and HDF5 development packages if they are missing
#   make test-deps  install what the tests drive besides ttcg: chromium and prometheus (make test does)
#   make clean      remove every SwiftPM build directory (.build, .build-*)
#
# SCRATCH=DIR builds in DIR instead of .build (e.g. `make test SCRATCH=.build-infra`),
# so that several checkouts or people can build side by side without clobbering each other.
#
# Recipes are plain POSIX sh (no bashisms), so the default SHELL is fine.

SWIFT   ?= swift
CONFIG  ?= release
SCRATCH ?=

SWIFT_FLAGS := -c $(CONFIG) $(if $(SCRATCH),--scratch-path $(SCRATCH))

# System libraries, by pkg-config name, and the Debian/Ubuntu packages that provide them.
PKG_CONFIG_MODULES := libzmq hdf5-serial
APT_PACKAGES       := libzmq3-dev libhdf5-dev pkg-config
APT_INSTALL        := DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(APT_PACKAGES)

# What the dashboard tests drive (Tests/TTCGCommandsTests/DashboardBrowserTests.swift and
# PrometheusTests.swift): a real headless browser and a real Prometheus, Debian's packages.
# Only `make test` needs them; `make` alone never installs a browser.
TEST_APT_PACKAGES := chromium prometheus
TEST_COMMANDS     := chromium prometheus

# Where SwiftPM puts the binaries for this configuration. Asked of SwiftPM (it depends on
# the triple and SCRATCH), at most once per make run and only by targets that use it.
BIN = $(eval BIN := $$(abspath $$(shell $(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)))$(BIN)

# The main job: the paper's grid, after the Appendix A example as a quick sanity print.
APPENDIX_A := jobs/examples/appendix-a.yaml
MAIN_JOB   := jobs/paper.yaml
RESULTS    ?= results.h5

# The Python side: h5py, xarray, h5netcdf for the end-to-end tests; pandas, matplotlib,
# nbclient and pytest for notebooks-export/ (pinned in its requirements.txt).
VENV          := .venv
PYTHON        := $(VENV)/bin/python
NOTEBOOKS_REQ := notebooks-export/requirements.txt

# Fuzzing (docs/fuzzing.md): the Fuzz/ package, built in Fuzz/.build with libFuzzer's
# coverage in every module; one executable fuzz-TARGET per target. SwiftPM caches the file
# list of the root package (a path dependency there): the recipes drop that cache first,
# so that files added to the root since the last build are compiled too.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= protocolDecoder journalReader specReader marketReader ingestionScanner
FUZZ_TIMEOUT ?= 10
FUZZ_FLAGS   ?=

.DEFAULT_GOAL := build
.PHONY: build test test-slurm run bench fuzz fuzz-seeds deps test-deps venv notebooks clean help dist

## build: release build of the package (the ttcg binary lands in `swift build --show-bin-path`)
build: deps
	$(SWIFT) build $(SWIFT_FLAGS)
	@printf 'ttcg build\ncommit %s\n' "$$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$$([ -n "$$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && echo +changes)" > $(BIN)/ttcg.BUILD

## test: release build, then all tests; TTCG_BIN lets end-to-end tests find the binary.
# Tests use public APIs only. --disable-testable-imports keeps `swift test` from
# recompiling every module with -enable-testing: it then reuses what `swift build`
# compiled and adds only the test targets (and the next `make build` is a no-op too).
# A test that needs `@testable import` will not compile here: test the public API instead.
test: build venv test-deps
	TTCG_BIN=$(BIN)/ttcg TTCG_PYTHON=$(abspath $(PYTHON)) $(SWIFT) test $(SWIFT_FLAGS) --disable-testable-imports
	TTCG_BIN=$(BIN)/ttcg TTCG_PYTHON=$(abspath $(PYTHON)) sh notebooks-export/test.sh
	TTCG_BIN=$(BIN)/ttcg TTCG_PYTHON=$(abspath $(PYTHON)) bash cluster/dist/test-dist.sh
	TTCG_BIN=$(BIN)/ttcg TTCG_SLURM_BIN=$(abspath .build-dist/deploy/current/bin/ttcg) TTCG_DIST_TARBALL=$$(readlink -f .build-dist/tarball) \
	    TTCG_PYTHON=$(abspath $(PYTHON)) bash cluster/test/slurm-test.sh

## test-slurm: the Slurm test alone (needs root: installs slurm-wlm and munge, runs a one-node Slurm)
test-slurm: build venv
	TTCG_BIN=$(BIN)/ttcg TTCG_PYTHON=$(abspath $(PYTHON)) bash cluster/test/slurm-test.sh

## dist: dist/ttcg-VERSION-linux-x86_64.tar.gz, a ttcg for nodes without Swift, libzmq or HDF5 (cluster/README.md, Deploy)
dist: deps
	sh cluster/dist/make-dist.sh

## run: the paper's experiment grid (42,120 games) into results.h5 (replaced if it exists)
run: build
	$(BIN)/ttcg solve $(APPENDIX_A) --beta inf
	$(BIN)/ttcg run $(MAIN_JOB) --out $(RESULTS) --force

## notebooks: the paper's figures and tables -> notebooks-export/out/ (runs the main job first if results.h5 is missing)
notebooks: build venv
	@[ -f $(RESULTS) ] || $(MAKE) --no-print-directory run
	$(PYTHON) notebooks-export/run_notebooks.py --results $(RESULTS) --out notebooks-export/out

## venv: a Python virtual environment with h5py and xarray (for tests and notebooks)
# The stamp is written only after pip succeeded, so a failed install is retried next time.
VENV_READY := $(VENV)/.ttcg-ready
venv: $(VENV_READY)
$(VENV_READY): $(NOTEBOOKS_REQ)
	@python3 -m venv --help >/dev/null 2>&1 || { \
	    echo "ttcg needs python3 with venv for its HDF5 checks."; \
	    if [ "$$(id -u)" -ne 0 ]; then \
	        echo "Not root, so not installing it. Run:" >&2; \
	        echo "  sudo apt-get update && sudo apt-get install -y python3 python3-venv" >&2; \
	        exit 1; \
	    fi; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv python3-pip || exit 1; \
	}
	rm -rf $(VENV)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r $(NOTEBOOKS_REQ)
	touch $@

## bench: benchmark suite (the NumPy baseline runs in .venv)
bench: venv
	TTCG_PYTHON=$(abspath $(PYTHON)) bash Benchmarks/run.sh

## fuzz: build the fuzz targets with -sanitize=fuzzer, run each for FUZZ_SECONDS on Fuzz/corpus/TARGET
# New inputs go to Fuzz/.build/fuzz-corpus/, crashes to Fuzz/.build/crashes/TARGET/, logs to
# Fuzz/.build/logs/; exits non-zero if a target crashed, hung (an input above FUZZ_TIMEOUT
# seconds) or ran out of memory. FUZZ_FLAGS adds libFuzzer flags (e.g. -max_len=20000).
fuzz: deps
	@rm -f Fuzz/.build/release.yaml Fuzz/.build/release/description.json
	@for t in $(FUZZ_TARGETS); do \
	    echo "== build fuzz-$$t"; \
	    (cd Fuzz && $(SWIFT) build -c release --scratch-path .build --sanitize=fuzzer --product fuzz-$$t) || exit 1; \
	done
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_TARGETS="$(FUZZ_TARGETS)" FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) FUZZ_FLAGS="$(FUZZ_FLAGS)" \
	    sh Fuzz/run.sh

## fuzz-seeds: rewrite the seed corpus (Fuzz/corpus/*/seed-*; regress-* inputs are kept)
# fuzz-seeds is an ordinary executable (libFuzzer brings its own main), built apart.
fuzz-seeds: deps
	@rm -f Fuzz/.build/plain/release.yaml Fuzz/.build/plain/release/description.json
	cd Fuzz && $(SWIFT) build -c release --scratch-path .build/plain --product fuzz-seeds
	Fuzz/.build/plain/release/fuzz-seeds

## deps: install the system libraries if pkg-config cannot find them (quiet when present)
deps:
	@if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists $(PKG_CONFIG_MODULES); then \
	    exit 0; \
	fi; \
	echo "ttcg needs $(APT_PACKAGES) (pkg-config: $(PKG_CONFIG_MODULES))."; \
	if [ "$$(id -u)" -ne 0 ]; then \
	    echo "Not root, so not installing them. Run:" >&2; \
	    echo "  sudo apt-get update && sudo $(APT_INSTALL)" >&2; \
	    exit 1; \
	fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	    echo "No apt-get here: install the equivalents of $(APT_PACKAGES) with your package manager." >&2; \
	    exit 1; \
	fi; \
	apt-get update && $(APT_INSTALL) || exit 1; \
	pkg-config --exists $(PKG_CONFIG_MODULES) || { \
	    echo "Installed $(APT_PACKAGES), but pkg-config still cannot find $(PKG_CONFIG_MODULES)." >&2; \
	    exit 1; \
	}

## test-deps: install chromium and prometheus if they are missing (quiet when present)
# The tests start their own prometheus (own config, port and storage), never the system
# service: when this target installs the package, the service the package enables (port 9090)
# is stopped and disabled again. An existing installation is left as it is.
test-deps:
	@missing=; for c in $(TEST_COMMANDS); do command -v $$c >/dev/null 2>&1 || missing="$$missing $$c"; done; \
	[ -n "$$missing" ] || exit 0; \
	echo "The tests need$$missing (Debian packages: $(TEST_APT_PACKAGES))."; \
	if [ "$$(id -u)" -ne 0 ]; then \
	    echo "Not root, so not installing them. Run:" >&2; \
	    echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(TEST_APT_PACKAGES)" >&2; \
	    exit 1; \
	fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	    echo "No apt-get here: install chromium and prometheus with your package manager." >&2; \
	    exit 1; \
	fi; \
	had_prometheus=; command -v prometheus >/dev/null 2>&1 && had_prometheus=1; \
	log=$$(mktemp); \
	{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(TEST_APT_PACKAGES); } >"$$log" 2>&1 \
	    || { tail -20 "$$log" >&2; rm -f "$$log"; echo "apt-get install $(TEST_APT_PACKAGES) failed (log above)." >&2; exit 1; }; \
	rm -f "$$log"; \
	if [ -z "$$had_prometheus" ]; then \
	    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then systemctl disable --now prometheus.service >/dev/null 2>&1; fi; \
	    if [ -x /etc/init.d/prometheus ]; then /etc/init.d/prometheus stop >/dev/null 2>&1; update-rc.d prometheus disable >/dev/null 2>&1; fi; \
	fi; \
	for c in $(TEST_COMMANDS); do command -v $$c >/dev/null 2>&1 || { echo "Installed $(TEST_APT_PACKAGES), but $$c is still missing." >&2; exit 1; }; done; \
	echo "Installed$$missing."

## clean: remove all SwiftPM build directories (.build and every .build-*)
clean:
	rm -rf .build .build-*

## help: list the targets
help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)
