# SPDX-License-Identifier: GPL-2.0-or-later
# hintsdb - build, test, demo, install.  Plain GNU make with pkg-config.

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
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
	  -Ilib $(PKG_CFLAGS) $(SAN)
LDLIBS	= -ldb-5.3 -lgdbm_compat -lgdbm $(PKG_LIBS)

B	?= build
BIN	= bin

LIB_SRC	= $(sort $(wildcard lib/*.c))
TOOL_SRC = $(sort $(wildcard tools/*.c))
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
HELPER_SRC = $(sort $(wildcard tests/helper/*.c))

LIB_OBJ	= $(LIB_SRC:%.c=$(B)/%.o)
TOOL_OBJ = $(TOOL_SRC:%.c=$(B)/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)
HELPER_BIN = $(HELPER_SRC:tests/helper/%.c=$(B)/helper/%)
LIBA	= $(B)/libhintsdb.a

COMPAT	= exim_dumpdb exim_tidydb exim_fixdb
MANS	= $(sort $(wildcard man/*.8))

.PHONY: all deps demo check test unit cli interop lint check-san bench \
	install install-compat clean fuzz

all: $(BIN)/hintsdb $(HELPER_BIN) $(COMPAT:%=$(BIN)/%)

$(B)/%.o: %.c $(wildcard lib/*.h tools/*.h)
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BIN)/hintsdb: $(TOOL_OBJ) $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $(TOOL_OBJ) $(LIBA) $(LDLIBS)

$(COMPAT:%=$(BIN)/%): $(BIN)/hintsdb
	ln -sf hintsdb $@

$(B)/unit/%: tests/unit/%.c $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(CFLAGS) -o $@ $< $(LIBA) $(LDLIBS) -lcmocka

$(B)/helper/%: tests/helper/%.c $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(CFLAGS) -o $@ $< $(LIBA) $(LDLIBS)

deps:
	@sh tests/deps.sh

demo: deps
	@$(MAKE) --no-print-directory -s all
	@sh tests/demo.sh $(BIN)/hintsdb examples/spool

unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

# check: everything, ending with one "N passed, N failed" line.
check: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@sh tests/check.sh

lint:
	@mandoc -Tlint -Wwarning $(MANS)

install: $(BIN)/hintsdb
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(BIN)/hintsdb $(DESTDIR)$(SBINDIR)/hintsdb
	install -m 644 $(MANS) $(DESTDIR)$(MANDIR)/man8/

install-compat: install
	for n in $(COMPAT); do ln -sf hintsdb $(DESTDIR)$(SBINDIR)/$$n; done

clean:
	rm -rf build build-san $(BIN)
