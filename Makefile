# SPDX-License-Identifier: GPL-2.0-or-later
# hintsdb - build, test, demo, install.  Plain GNU make with pkg-config.

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
# where Debian's bash-completion and zsh look
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions
DESTDIR	?=

CC	?= cc
PKGS	= libbsd sqlite3 tdb jansson libssl libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

OPT	?= -O2 -g
SAN	?=
CFLAGS	?= $(OPT)
XCFLAGS	= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	  -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter \
	  -Ilib -Itools $(PKG_CFLAGS) $(SAN)
LDLIBS	= -ldb-5.3 -lgdbm_compat -lgdbm $(PKG_LIBS)

# Build and binary directories; the sanitizer build uses build-san/ and
# bin-san/ (make check-san), so both can sit side by side.
B	?= build
BIN	?= bin

# lib/ is three folders (db, rec, tls; each has a README) over the shared
# helpers at its top; sources include headers by folder ("db/hdb.h").
LIB_SRC	= $(sort $(wildcard lib/*.c lib/*/*.c))
TOOL_SRC = $(sort $(wildcard tools/*.c tools/engine/*.c))
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
# Helpers the unit tests share: any tests/unit/*.c not named test_*.
UNIT_HELP_SRC = $(filter-out $(UNIT_SRC),$(sort $(wildcard tests/unit/*.c)))
# Every header: any change rebuilds every object.
HDRS	= $(wildcard lib/*.h lib/*/*.h tools/*.h tools/*/*.h)
HELPER_SRC = $(filter-out tests/helper/faultinject.c,\
	     $(sort $(wildcard tests/helper/*.c)))

LIB_OBJ	= $(LIB_SRC:%.c=$(B)/%.o)
TOOL_OBJ = $(TOOL_SRC:%.c=$(B)/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)
UNIT_HELP_OBJ = $(UNIT_HELP_SRC:%.c=$(B)/%.o)
UNIT_LIBA = $(B)/libunit.a
HELPER_BIN = $(HELPER_SRC:tests/helper/%.c=$(B)/helper/%)
FAULT_SO = $(B)/helper/faultinject.so
LIBA	= $(B)/libhintsdb.a

COMPAT	= exim_dumpdb exim_tidydb exim_fixdb
MANS	= $(sort $(wildcard man/*.8))

.PHONY: all deps deps-check demo check check-future check-load test unit cli interop lint check-san bench bench-crash bench-holds \
	install install-compat deb clean fuzz bench-progress bench-noblock fuzz-build \
	san-build unit-bins \
	check-valgrind

all: $(BIN)/hintsdb $(HELPER_BIN) $(FAULT_SO) $(COMPAT:%=$(BIN)/%)

$(B)/%.o: %.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BIN)/hintsdb: $(TOOL_OBJ) $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) $(LDFLAGS) -o $@ $(TOOL_OBJ) $(LIBA) $(LDLIBS)

$(COMPAT:%=$(BIN)/%): $(BIN)/hintsdb
	ln -sf hintsdb $@

$(UNIT_HELP_OBJ): $(wildcard tests/unit/*.h)

$(UNIT_LIBA): $(UNIT_HELP_OBJ)
	rm -f $@
	ar rcs $@ $^

$(B)/unit/%: tests/unit/%.c $(UNIT_LIBA) $(LIBA) $(HDRS) \
	    $(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(CFLAGS) -o $@ $< $(UNIT_LIBA) $(LIBA) \
	    $(LDLIBS) -lcmocka
# a unit test that includes the tools/ source it tests
$(B)/unit/test_exim_bv: tools/exim.c tools/exim.h
$(B)/unit/test_forms: tools/forms.c tools/forms.h tools/exim.h
$(B)/unit/test_pieces: tools/engine/pieces.c tools/engine/slurp.c \
	    tools/engine/pieces.h tools/engine/slurp.h
$(B)/unit/test_keyset: tools/engine/catchup.c tools/engine/catchup.h \
	    tools/engine/slurp.c

$(B)/helper/%: tests/helper/%.c $(LIBA) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(CFLAGS) -o $@ $< $(LIBA) $(LDLIBS)

# The fault-injection shim (LD_PRELOAD) for tests/cli/t6100-faults.sh.
# Never built with the sanitizers: it sits in front of their interceptors.
$(FAULT_SO): tests/helper/faultinject.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -fPIC \
	    -shared -o $@ $< -ldl

unit-bins: $(UNIT_BIN)

# deps: what building and the demo need (compiler, pkg-config, -dev
# libraries); deps-check: those and the test tools.  Neither ever installs
# an MTA or removes a package (tests/deps.sh).
deps:
	@sh tests/deps.sh build

deps-check:
	@sh tests/deps.sh check

demo: deps
	@$(MAKE) --no-print-directory -s all
	@sh tests/demo.sh $(BIN)/hintsdb examples/spool
	@sh tests/demo.sh $(BIN)/hintsdb examples/spool-4.100

unit: $(UNIT_BIN)
	@st=0; for t in $(UNIT_BIN); do $$t || st=1; done; exit $$st

# check: everything, ending with one "N passed, N failed" line: the unit,
# CLI and interop suites and the man lint, then the unit and CLI suites
# again against the ASan+UBSan build, then a short run of every fuzzer and
# its regression inputs (tests/check.sh).
# Builds and test files run on every core (tests/check.sh says how).
NPROC	:= $(shell nproc 2>/dev/null || echo 2)
check: deps-check
	@$(MAKE) --no-print-directory -j$(NPROC) all $(UNIT_BIN)
	@$(MAKE) --no-print-directory -j$(NPROC) san-build
	@$(MAKE) --no-print-directory -j$(NPROC) fuzz-build
	@CHECK_SAN=1 CHECK_FUZZ=1 FUZZ_B=$(FUZZ_B) sh tests/check.sh

# check-load: the unit, CLI and interop suites with a CPU-bound busy loop
# per core beside them, so that no test passes only on an idle machine
# (not part of check).
check-load: deps-check
	@$(MAKE) --no-print-directory -j$(NPROC) all $(UNIT_BIN)
	@CHECK_LOAD=$(NPROC) sh tests/check.sh

# check-future: the unit, CLI and interop suites and the man lint again with
# the clock FUTURE_DAYS (400) days ahead, by libfaketime; the real Exims in
# their chroots get the same clock.  Only the wall clock moves (timeouts and
# sleeps keep the real monotonic clock); processes of every user share
# libfaketime's state (tests/share-faketime.sh).  The sanitizer and fuzz
# passes are left out: they look for memory errors, not dates, and would
# double the time.
FUTURE_DAYS ?= 400
check-future: deps-check
	@$(MAKE) --no-print-directory -j$(NPROC) all $(UNIT_BIN)
	@FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f +$(FUTURE_DAYS)d \
	    sh tests/check.sh

# --- sanitizers: the same sources in build-san/ and bin-san/ ---------------
SAN_B	= build-san
SAN_BIN	= bin-san
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	    -fno-omit-frame-pointer

san-build:
	@$(MAKE) --no-print-directory B=$(SAN_B) BIN=$(SAN_BIN) \
	    OPT="-O1 -g" SAN="$(SAN_FLAGS)" all unit-bins

# Unit and CLI suites against the sanitizer build; any report fails.
check-san: deps-check san-build
	@CHECK_NORMAL=0 CHECK_SAN=1 sh tests/check.sh

# The CLI suite under valgrind memcheck (slow; not part of check).
check-valgrind: deps-check
	@$(MAKE) --no-print-directory all
	@CHECK_NORMAL=0 CHECK_VALGRIND=1 sh tests/check.sh

# --- fuzzing: libFuzzer targets in tests/fuzz/ (clang) ------------------
# make fuzz FUZZ_SECONDS=300 runs each target that long (tests/fuzz/README).
FUZZ_CC	?= clang
FUZZ_B	?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	    -Ilib -Itools $(PKG_CFLAGS) \
	    -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_OPEN = bdb gdbm tdb ndbm sqlite
FUZZ_TARGETS = $(filter-out fuzz_open,$(patsubst tests/fuzz/%.c,%, \
	    $(sort $(wildcard tests/fuzz/fuzz_*.c)))) \
	    $(FUZZ_OPEN:%=fuzz_open_%)
FUZZ_LIBA = $(FUZZ_B)/libhintsdb.a
FUZZ_TOOLA = $(FUZZ_B)/libtools.a
FUZZ_DEPS = $(FUZZ_TOOLA) $(FUZZ_LIBA) $(HDRS) $(wildcard tests/fuzz/*.h)

$(FUZZ_B)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_LIBA): $(LIB_SRC:%.c=$(FUZZ_B)/obj/%.o)
	rm -f $@
	ar rcs $@ $^

# Every tool object but main's: a target that includes a command's .c file
# (for its static functions) then leaves that command's object out.
$(FUZZ_TOOLA): $(filter-out $(FUZZ_B)/obj/tools/hintsdb.o, \
	    $(TOOL_SRC:%.c=$(FUZZ_B)/obj/%.o))
	rm -f $@
	ar rcs $@ $^

$(FUZZ_B)/fuzz_open_%: tests/fuzz/fuzz_open.c $(FUZZ_DEPS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DFUZZ_BACKEND=$* -fsanitize=fuzzer -o $@ \
	    $< $(FUZZ_TOOLA) $(FUZZ_LIBA) $(LDLIBS)

$(FUZZ_B)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DEPS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ \
	    $< $(FUZZ_TOOLA) $(FUZZ_LIBA) $(LDLIBS)

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_B)/%)

fuzz: deps-check fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_B) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

lint:
	@mandoc -Tlint -Wwarning $(MANS)

# bench: hintsdb against Exim's own tools on generated DBs of up to 1M
# records (bench/run.py; minutes, not part of check).  The DBs are cached
# in bench/work/; results go to bench/RESULTS.md and bench/results.json.
# Exim's tools run in the chroots of tests/interop/chroot.sh (built on
# first use), never from the host.
# bench/measure.c (running and measuring one command) is linked into each.
BENCH_BIN = $(patsubst bench/%.c,$(B)/bench/%,$(filter-out bench/measure.c,\
	$(sort $(wildcard bench/*.c))))

$(B)/bench/measure.o: bench/measure.c bench/measure.h
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/bench/%: bench/%.c $(B)/bench/measure.o $(LIBA) $(HDRS) bench/measure.h
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(CFLAGS) -o $@ $< $(B)/bench/measure.o $(LIBA) \
	    $(LDLIBS)

bench: all $(BENCH_BIN) bench-progress
	@python3 bench/run.py --bin $(BIN) --build $(B) $(BENCH_ARGS)

# bench-noblock: only whether Exim is kept waiting: an Exim-like writer
# beside tidy, delete, dump, convert --in-place, import and check on 1M
# records (BDB, GDBM, SQLite; tdb 300k) and beside Exim's own exim_tidydb,
# tidy's cost by backend (tdb vs BDB, SQLite vs Exim 4.100.1), and four
# Exim 4.100.1-like SQLite writers beside tidy, convert --in-place and
# import on 1M records (none may fail or be lost to a file swap).  The
# other groups in bench/results.json are kept.  BENCH_ARGS adds run.py
# options, e.g. BENCH_ARGS=--noblock-size=50000 for a quick look, or
# BENCH_ARGS=--noblock-cmds=hintsdb-check for one command.
bench-noblock: all $(BENCH_BIN)
	@python3 bench/run.py --bin $(BIN) --build $(B) \
	    --only=noblock,tidycost,swap $(BENCH_ARGS)

# bench-crash: tidy killed at 200 random moments a backend beside an
# Exim-like writer (t5320; make check kills 8 times a backend).
bench-crash: all
	@TIDY_CRASH_KILLS=200 CHECK_ONLY=t5320-tidy-crash.sh sh tests/check.sh

# bench-holds: tidy's longest write hold against --max-lock-ms (100), the
# first hold included, on 1M records per backend (tdb 300k), 10 runs on a
# fresh copy and 10 on a warm one, seen by a 1 ms lockfile poller and by
# tidy's own figures (issue 33, item 2).  BENCH_ARGS=--holds-runs=3 or
# --holds-backends=bdb,tdb for a shorter look.
bench-holds: all $(BENCH_BIN)
	@python3 bench/run.py --bin $(BIN) --build $(B) --only=holds \
	    $(BENCH_ARGS)

# bench-progress: the progress line's cost, with and without (budget 1%).
bench-progress: all
	@python3 bench/progress.py --bin $(BIN) --build $(B)

install: $(BIN)/hintsdb
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 755 $(BIN)/hintsdb $(DESTDIR)$(SBINDIR)/hintsdb
	install -m 644 $(MANS) $(DESTDIR)$(MANDIR)/man8/
	install -m 644 completion/hintsdb.bash \
	    $(DESTDIR)$(BASHCOMPDIR)/hintsdb
	install -m 644 completion/_hintsdb $(DESTDIR)$(ZSHCOMPDIR)/_hintsdb

install-compat: install
	for n in $(COMPAT); do ln -sf hintsdb $(DESTDIR)$(SBINDIR)/$$n; done

# deb: the Debian binary package, built by dpkg-buildpackage from a copy
# of the tracked files (debian/ is kept in the tree: the package is
# native), then checked by lintian.  Output in $(DEB_B)/.  Needs the
# Build-Depends of debian/control and lintian (make deps-check).  The
# package's own make gets none of this make's variables (its clean would
# remove DEB_B).
DEB_B	?= build-deb

deb:
	rm -rf $(DEB_B)
	mkdir -p $(DEB_B)/hintsdb
	git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -xf - -C $(DEB_B)/hintsdb
	cd $(DEB_B)/hintsdb && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	    dpkg-buildpackage -b -us -uc -j2 \
	    >$(abspath $(DEB_B))/build.log 2>&1 || \
	    { tail -n 40 $(abspath $(DEB_B))/build.log; exit 1; }
	lintian --fail-on error,warning $(DEB_B)/*.changes
	@ls $(DEB_B)/*.deb

clean:
	rm -rf build $(SAN_B) $(FUZZ_B) $(BIN) $(SAN_BIN) build-deb
