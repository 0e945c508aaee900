# synctrace build. Everything generated lives under build/.
#
#   make            build/synctrace
#   make demo       trace the bundled sample sync engine for ~10 s
#   make test       unit tests (cmocka) + fuzz smoke + integration tests (real
#                   BPF), then both suites again built with ASan and UBSan
#   make check-sanitize  unit and integration tests against an ASan+UBSan build
#   make fuzz       every libFuzzer harness for FUZZ_SECONDS (-jN: side by side)
#   make bench      overhead benchmark (bench/RESULTS.md)
#   make install    /usr/local/bin/synctrace, profiles in /usr/local/share/synctrace

BUILD    ?= build
PREFIX   ?= /usr/local
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PYTHON   ?= /usr/bin/python3
ARCH     := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -dumpmachine)

# CFLAGS and LDFLAGS are the caller's (make CFLAGS='-O1 -fsanitize=address');
# what the build cannot do without lives in its own variables and always applies.
CFLAGS   ?= -O2 -g
REQ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -I. -Iinclude -I$(BUILD)
WARN_CFLAGS := -Wall -Wextra -Wno-unused-parameter -Wshadow
ALL_CFLAGS = $(REQ_CFLAGS) $(WARN_CFLAGS) $(CFLAGS)
LDLIBS   += -lbpf -lelf -lz -llzma -lZydis -ljson-c -lpthread -lm
# libsqlite3-dev: --record, report, mark. As needed only: the unit tests that use
# libsqlite3 as "a library this process has not loaded" must not map it.
LDLIBS   += -Wl,--push-state,--as-needed -lsqlite3 -Wl,--pop-state
LDLIBS   += -liberty  # libiberty-dev's demangler (a static library only)
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	      -I. -I/usr/include/$(MULTIARCH) -Wall -Wno-unused-function

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

# Everything but main() goes into a static library the tests link against.
LIB_SRCS  := $(wildcard loader/*.c maps/*.c output/*.c) $(filter-out cli/main.c,$(wildcard cli/*.c))
LIB_OBJS  := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
LIB       := $(BUILD)/libsynctrace.a
BIN       := $(BUILD)/synctrace

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

.PHONY: all deps deps-demo demo test unit unit-bins integration install clean fixtures \
	check-sanitize check-sanitize-unit
all: $(BIN)

# Fragments add fixtures, examples, bench and fuzz targets; they append to
# FIXTURES (built before any test runs).
FIXTURES :=
include $(sort $(wildcard examples/*.mk tests/*/*.mk bench/*.mk))

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard maps/*.h bpf/*.h) | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst .,_,$*)_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: %.c $(SKELS) $(wildcard */*.h include/synctrace/*.h) | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BIN): $(BUILD)/obj/cli/main.o $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/helpers.c $(wildcard tests/unit/*.h) $(LIB) $(FIXTURES) | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< tests/unit/helpers.c $(LIB) -o $@ $(LDLIBS) -lcmocka

$(BUILD) $(BUILD)/bpf $(BUILD)/tests:
	mkdir -p $@

fixtures: $(FIXTURES)

deps:
	@scripts/deps.sh test

# the demo installs only what building and running the sample engine need
deps-demo:
	@scripts/deps.sh demo

unit-bins: $(UNIT_BINS)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

integration: $(BIN) $(FIXTURES)
	$(PYTHON) -m pytest -q tests/integration

# An ASan+UBSan build of synctrace and the unit tests in $(SAN_BUILD), for the
# unit and integration suites (fixtures keep their own flags). Every process
# writes its sanitizer reports into $(SAN_LOG), which must stay empty: a
# report fails the target even when the process that wrote it was one a test
# expected to fail. gcc's ASan and UBSan runtimes, as two shared libraries,
# ignore log_path; linked in statically they share it.
SAN_BUILD   ?= build-san
SAN_CFLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	       -fno-sanitize-recover=all
SAN_LDFLAGS := -fsanitize=address,undefined -static-libasan -static-libubsan
SAN_LOG      = $(abspath $(SAN_BUILD))/sanitizer-reports
SAN_OPTS     = halt_on_error=1:log_path=$(SAN_LOG)/report
SAN_ENV      = ASAN_OPTIONS=$(SAN_OPTS):detect_leaks=1:exitcode=86 \
	       UBSAN_OPTIONS=$(SAN_OPTS):print_stacktrace=1:exitcode=87
SAN_MAKE     = $(MAKE) --no-print-directory BUILD=$(SAN_BUILD) CFLAGS='$(SAN_CFLAGS)' \
	       LDFLAGS='$(SAN_LDFLAGS)'
SAN_REPORTS  = if [ -n "$$(ls -A $(SAN_LOG))" ]; then cat $(SAN_LOG)/*; \
	       echo "sanitizer reports in $(SAN_LOG)"; exit 1; fi

# '+': the sub-makes are hidden in SAN_MAKE, where make cannot see them to share -j
check-sanitize-unit: deps
	+$(SAN_MAKE) all fixtures unit-bins
	@rm -rf $(SAN_LOG) && mkdir -p $(SAN_LOG)
	+@$(SAN_ENV) $(SAN_MAKE) unit; rc=$$?; $(SAN_REPORTS); exit $$rc

check-sanitize: check-sanitize-unit
	@$(SAN_ENV) BUILD=$(SAN_BUILD) $(PYTHON) -m pytest -q tests/integration; rc=$$?; \
		$(SAN_REPORTS); exit $$rc

# A short fuzz run guards the parsers of untrusted input on every test run,
# the harnesses that are targets of their own side by side (-j4); `make fuzz
# FUZZ_SECONDS=600` for a real campaign. Then both suites again, sanitized:
# ~2 min more on an idle 2-core machine.
FUZZ_SMOKE_SECONDS ?= 6

test: deps
	$(MAKE) all fixtures $(UNIT_BINS)
	$(MAKE) unit
	@echo "== fuzz smoke ($(FUZZ_SMOKE_SECONDS) s per harness; log in $(BUILD)/fuzz.log)"
	@$(MAKE) -j4 fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) > $(BUILD)/fuzz.log 2>&1 || \
		{ tail -40 $(BUILD)/fuzz.log; echo "fuzz smoke FAILED"; exit 1; }
	@grep -h '^Done' $(BUILD)/fuzz.log
	$(MAKE) integration
	$(MAKE) check-sanitize

demo: deps-demo
	$(MAKE) all $(BUILD)/examples/syncrelay
	scripts/demo.sh

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/synctrace
	install -d $(DESTDIR)$(PREFIX)/share/synctrace/profiles
	install -m 0644 profiles/*.ops $(DESTDIR)$(PREFIX)/share/synctrace/profiles

clean:
	rm -rf $(BUILD)
