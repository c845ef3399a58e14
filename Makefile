# Makefile - builds doppel, its tests and benchmarks (GNU Make).
#
# `make test` and `make demo` first run scripts/deps.sh, which installs missing
# Debian packages (as root) or names them (otherwise), then re-enter make so
# that pkg-config sees the freshly installed libraries.
#
# SPDX-License-Identifier: MIT

# make MPI=1: the same program built with mpicc (src/mpiwrap.c calls MPI), in
# build-mpi/; run it under mpirun (docs/HPC.md).
ifeq ($(MPI),1)
BUILD ?= build-mpi
CC = mpicc
MPI_CFLAGS := -DDP_MPI
endif
BUILD ?= build
CC ?= cc
PKG_CONFIG ?= pkg-config
PYTHON ?= /usr/bin/python3

# HDF5's pkg-config module is "hdf5" on Debian, "hdf5-serial" elsewhere;
# HDF5_CFLAGS / HDF5_LIBS override the probe.
HDF5_PC := $(shell $(PKG_CONFIG) --exists hdf5 2>/dev/null && echo hdf5 || \
	     ($(PKG_CONFIG) --exists hdf5-serial 2>/dev/null && echo hdf5-serial))
HDF5_CFLAGS ?= $(if $(HDF5_PC),$(shell $(PKG_CONFIG) --cflags $(HDF5_PC)),-I/usr/include/hdf5/serial)
HDF5_LIBS ?= $(if $(HDF5_PC),$(shell $(PKG_CONFIG) --libs $(HDF5_PC)),-L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5)

PKGS := vips libjpeg libcrypto
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wvla -Wundef
# CI (CI=true) builds with -Werror.
ifeq ($(CI),true)
WERROR ?= 1
endif
ifeq ($(WERROR),1)
WARN += -Werror
endif
OPT ?= -O2 -g
# -ffp-contract=off: PDQ is bit-exact with the reference only without fused multiply-add.
BASE_CFLAGS := -std=c11 $(OPT) -ffp-contract=off -fopenmp $(WARN) $(MPI_CFLAGS) -Isrc -Ikernels -Iinclude
ALL_CFLAGS = $(BASE_CFLAGS) $(PKG_CFLAGS) $(HDF5_CFLAGS) $(SAN) $(CFLAGS)
ALL_LDFLAGS = -fopenmp $(SAN) $(LDFLAGS)
LIBS = $(PKG_LIBS) $(HDF5_LIBS) -lm

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

ifneq ($(V),1)
Q := @
quiet = @printf '  %-6s %s\n' $(1) $(2);
endif

CLI_SRC := src/cli.c src/cli_cluster.c src/cli_merge.c src/cli_report.c
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
LIB_SRC := $(filter-out $(CLI_SRC),$(wildcard src/*.c)) $(wildcard kernels/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/unit/test_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%) \
	    $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(BUILD)/tests/test_fuzz_%)
TOOL_SRC := tests/mkfixtures.c
TOOL_BIN := $(BUILD)/tests/mkfixtures
ENVGUARD := $(BUILD)/tests/envguard.so
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
ALL_OBJ := $(LIB_OBJ) $(CLI_OBJ) $(TEST_SRC:%.c=$(BUILD)/%.o) $(FUZZ_SRC:%.c=$(BUILD)/%.o) \
	   $(BUILD)/tests/fuzz/replay.o \
	   $(TOOL_SRC:%.c=$(BUILD)/%.o) $(BENCH_SRC:%.c=$(BUILD)/%.o)

## all: build the doppel program (default)
all: $(BUILD)/doppel

# Rebuild everything when the compiler or flags change.
$(BUILD)/flags.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(LIBS)' > $@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv $@.new $@

# Kernels: -O3 lets GCC vectorise the box-filter and resize loops that -O2's
# cheap cost model leaves scalar. It changes no float semantics (no fast-math,
# no contraction), so PDQ stays bit-exact with the reference (tested).
KERNEL_OPT ?= $(if $(filter -O2,$(OPT)),-O3,)
$(BUILD)/kernels/%.o: ALL_CFLAGS += $(KERNEL_OPT)

# The version string lives in a generated header rewritten only when it
# changes, so a new commit recompiles cli.c alone.
$(BUILD)/version.h: FORCE
	@mkdir -p $(BUILD)
	@printf '#define DP_VERSION "%s"\n#define DP_GIT_REV "%s"\n' '$(VERSION)' '$(GIT_REV)' > $@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv $@.new $@

$(BUILD)/src/cli.o $(BUILD)/src/api.o: $(BUILD)/version.h
$(BUILD)/src/cli.o $(BUILD)/src/api.o: ALL_CFLAGS += -I$(BUILD)

# bench_kernels prints the revision and the flags the kernels were built with.
$(BUILD)/bench/bench_kernels.o: $(BUILD)/version.h
$(BUILD)/bench/bench_kernels.o: ALL_CFLAGS += -I$(BUILD) \
	-DDP_BUILD_FLAGS='"$(subst ",,$(BASE_CFLAGS) $(KERNEL_OPT) $(SAN) $(CFLAGS))"'

$(BUILD)/%.o: %.c $(BUILD)/flags.stamp
	@mkdir -p $(dir $@)
	$(call quiet,CC,$<)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libdoppel.a: $(LIB_OBJ)
	$(call quiet,AR,$@)rm -f $@ && ar rcs $@ $^

$(BUILD)/doppel: $(CLI_OBJ) $(BUILD)/libdoppel.a
	$(call quiet,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libdoppel.a
	@mkdir -p $(dir $@)
	$(call quiet,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# Fuzz targets as TAP tests: the target plus tests/fuzz/replay.c over its seed corpus.
$(BUILD)/tests/test_fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay.o $(BUILD)/libdoppel.a
	@mkdir -p $(dir $@)
	$(call quiet,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# Result-file seeds of fuzz_store are build outputs: made by doppel itself.
$(BUILD)/fuzz-seeds/store/scan.h5: $(BUILD)/doppel tests/fuzz/mkseeds.sh
	$(call quiet,SEEDS,$(dir $@))sh tests/fuzz/mkseeds.sh $(BUILD)/doppel $(dir $@)

$(BUILD)/tests/mkfixtures: $(BUILD)/tests/mkfixtures.o $(BUILD)/libdoppel.a
	$(call quiet,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# An LD_PRELOAD library for test_environ.py; never linked into doppel.
$(ENVGUARD): tests/envguard.c $(BUILD)/flags.stamp
	@mkdir -p $(dir $@)
	$(call quiet,CC,$<)$(CC) -shared -fPIC $(OPT) $(WARN) -o $@ $< -ldl

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libdoppel.a
	@mkdir -p $(dir $@)
	$(call quiet,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) -lturbojpeg

## deps: install missing build/test dependencies (apt-get as root; else list them)
deps:
	@sh scripts/deps.sh

## deps-test: the same plus what the whole suite uses: Open MPI (make mpi, test_mpi.py) and Chromium (test_report.py)
deps-test:
	@sh scripts/deps.sh --mpi --browser

## mpi: build the MPI program build-mpi/doppel (mpicc; run under mpirun, docs/HPC.md)
mpi:
	@$(MAKE) --no-print-directory MPI=1 BUILD=build-mpi all

## test: install dependencies (Open MPI and Chromium too), build, run the whole suite, again under ASan+UBSan, then a bounded fuzz run
test: deps-test
	@$(MAKE) --no-print-directory mpi
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory sanitize-check
	@$(MAKE) --no-print-directory fuzz

## check: build and run the test suite without the dependency step
check: $(BUILD)/doppel $(TEST_BIN) $(TOOL_BIN) $(ENVGUARD) $(BUILD)/fuzz-seeds/store/scan.h5
	@BUILD=$(BUILD) PYTHON=$(PYTHON) sh tests/run.sh

## demo: install dependencies, build, scan a generated demo image set
demo: deps
	@$(MAKE) --no-print-directory demo-run

demo-run: $(BUILD)/doppel $(TOOL_BIN)
	@BUILD=$(BUILD) sh scripts/demo.sh

## bench: build the benchmark programs (bench/README.md says how to run them)
bench: $(BUILD)/doppel $(BENCH_BIN)

## sanitize: build under ASan+UBSan in build-san/ and run the test suite there
sanitize: deps
	@$(MAKE) --no-print-directory sanitize-check

sanitize-check:
	@$(MAKE) --no-print-directory BUILD=build-san OPT='-O1 -g' \
		SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined' check

## fuzz: build the libFuzzer targets with clang in build-fuzz/ and run FUZZ_TARGETS (default decode) for FUZZ_SECONDS (30) each
FUZZ_SECONDS ?= 30
FUZZ_TARGETS ?= decode
fuzz: $(BUILD)/fuzz-seeds/store/scan.h5
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang OPT='-O1 -g' \
		SAN='-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined' \
		build-fuzz/libdoppel.a $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/tests/fuzz/%.o)
	@for t in $(FUZZ_TARGETS); do \
		clang -fsanitize=fuzzer,address,undefined -fopenmp -o build-fuzz/fuzz_$$t \
			build-fuzz/tests/fuzz/fuzz_$$t.o build-fuzz/libdoppel.a $(LIBS) || exit 1; \
		sh tests/fuzz/run.sh build-fuzz/fuzz_$$t $(FUZZ_SECONDS) tests/fuzz/corpus/$$t \
			$$(ls -d $(BUILD)/fuzz-seeds/$$t 2>/dev/null) || exit 1; \
	done

## check-nosimd: build in build-nosimd/ with the SIMD kernels compiled out (-DDP_NO_SIMD), run the suite
check-nosimd:
	@$(MAKE) --no-print-directory BUILD=build-nosimd CFLAGS='$(CFLAGS) -DDP_NO_SIMD' check

## clean: remove build outputs
clean:
	rm -rf build build-san build-nosimd build-fuzz build-mpi

## help: list the targets
help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

.PHONY: deps-test mpi all deps test check demo demo-run bench sanitize sanitize-check check-nosimd fuzz clean help FORCE
.SECONDARY:

-include $(ALL_OBJ:.o=.d)
