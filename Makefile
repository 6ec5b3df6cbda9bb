# Build, test and install the project. Every module is found by wildcard, so a
# new file in engine/lib or a program directory needs no edit here.
#
#   make                  build everything into build/
#   make check            deps, build, unit + bats tests, then ASan/UBSan again
#   make demo             loopback cluster demo (scripts/demo.sh)
#   make install DESTDIR=... PREFIX=/usr
#   make bench            speed comparison with stock distcc and plain gcc

.DEFAULT_GOAL := all

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
LIBDIR     ?= $(PREFIX)/lib
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR    ?=

SAN   ?= 0
ifeq ($(SAN),1)
BUILD ?= build-asan
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= build
SANFLAGS =
endif

CC       ?= cc
OPT      ?= -O2
WARN      = -Wall -Wextra -Wshadow -Wformat=2 -Werror
CFLAGS   ?= -g
DCC_CFLAGS = -std=gnu11 $(OPT) $(WARN) $(SANFLAGS) -D_GNU_SOURCE \
	-DDCC_VERSION='"$(VERSION)"' -DDCC_SYSCONFDIR='"$(SYSCONFDIR)"' \
	-DDCC_LIBDIR='"$(LIBDIR)"' -DDCC_GNU_HOST='"$(GNU_HOST)"' -Iengine/lib $(DEP_CFLAGS) $(CFLAGS)
# --as-needed: each program loads only the libraries it calls (start-up time
# is per job for the client).
DCC_LDFLAGS = $(SANFLAGS) -Wl,--as-needed $(LDFLAGS)

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)
# The triple distcc rewrites gcc to (gcc -> x86_64-pc-linux-gnu-gcc), fixed at
# build time so no job pays for asking the compiler.
GNU_HOST := $(shell gcc -dumpmachine 2>/dev/null || echo unknown-linux-gnu)

PKGS     = popt lzo2 jansson libcurl
DEPS_OK ?= $(shell scripts/deps.sh --quiet-check --build >/dev/null 2>&1 && echo yes)
ifeq ($(DEPS_OK),yes)
DEP_CFLAGS := $(shell pkg-config --cflags $(PKGS)) -I/usr/include/iniparser
LIB_popt    := $(shell pkg-config --libs popt)
LIB_lzo2    := $(shell pkg-config --libs lzo2)
LIB_jansson := $(shell pkg-config --libs jansson)
LIB_curl    := $(shell pkg-config --libs libcurl)
LIB_cmocka  := $(shell pkg-config --libs cmocka 2>/dev/null)
LIB_ini     := -liniparser
endif

LIB_SRCS  := $(sort $(wildcard engine/lib/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIBDCC    := $(BUILD)/libdcc.a
LIBDCC_LIBS = $(LIB_lzo2) $(LIB_jansson)

# program name : source directory : extra libraries
PROGRAMS := distccd:engine/daemon:popt \
            distcc:engine/client:popt \
            distccmon-text:engine/monitor:popt \
            distcc-preflight:engine/preflight:popt+curl+ini \
            distcc-config:distcc-config:popt \
            distccflags:flags:popt \
            pump:engine/pump:popt
prog_name = $(word 1,$(subst :, ,$(1)))
prog_dir  = $(word 2,$(subst :, ,$(1)))
prog_libs = $(foreach l,$(subst +, ,$(word 3,$(subst :, ,$(1)))),$(LIB_$(l)))

BINS :=
define program_rules
$(1)_SRCS := $$(sort $$(wildcard $(2)/*.c))
ifneq ($$($(1)_SRCS),)
BINS += $(BUILD)/bin/$(1)
$(BUILD)/bin/$(1): $$($(1)_SRCS:%.c=$(BUILD)/%.o) $(LIBDCC) | $(BUILD)/bin
	$$(CC) -o $$@ $$^ $(DCC_LDFLAGS) $(3) $$(LIBDCC_LIBS) -lm
endif
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rules,$(call prog_name,$(p)),$(call prog_dir,$(p)),$(call prog_libs,$(p)))))

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)

.PHONY: all deps units check demo install uninstall bench clean

ifneq ($(DEPS_OK),yes)
# A fresh machine: install what is missing, then run the same goal again so
# the pkg-config results above are read with the libraries present.
all units demo bench install:
	@scripts/deps.sh --build
	@$(MAKE) --no-print-directory $@
check:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory $@
else
all: $(BINS)
endif

deps:
	@scripts/deps.sh

$(BUILD)/bin:
	@mkdir -p $@

# Objects depend on a stamp named after a hash of the flags, so changing
# SYSCONFDIR, SAN or CFLAGS rebuilds them instead of mixing old and new.
FLAGS_HASH := $(shell printf '%s' "$(subst ",\",$(DCC_CFLAGS) $(DCC_LDFLAGS))" | md5sum | cut -c1-12)
FLAGS_STAMP := $(BUILD)/.flags-$(FLAGS_HASH)
$(FLAGS_STAMP):
	@mkdir -p $(@D) && rm -f $(BUILD)/.flags-* && touch $@

$(BUILD)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(DCC_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBDCC): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(LIBDCC)
	$(CC) -o $@ $^ $(DCC_LDFLAGS) $(LIB_cmocka) $(LIB_popt) $(LIBDCC_LIBS) -lm

ifeq ($(DEPS_OK),yes)
units: $(UNIT_BINS)

# Results of every suite are TAP files in $(BUILD)/tap; scripts/tap-summary.sh
# prints the one summary line and fails if anything failed.
check:
	@scripts/deps.sh
	@rm -rf build/tap build-asan/tap
	@$(MAKE) --no-print-directory all units
	@scripts/run-tests.sh unit build
	@scripts/run-tests.sh bats build
	@$(MAKE) --no-print-directory SAN=1 all units
	@scripts/run-tests.sh unit build-asan
	@scripts/run-tests.sh bats-daemon build-asan
	@scripts/tap-summary.sh build/tap build-asan/tap

demo: all
	@scripts/demo.sh $(BUILD)

bench: all
	@bench/run.sh $(BUILD)

install: all
	@scripts/install.sh install "$(DESTDIR)" "$(BUILD)" "$(BINDIR)" "$(SBINDIR)" "$(LIBDIR)" "$(MANDIR)" "$(SYSCONFDIR)" "$(PREFIX)"

endif

uninstall:
	@scripts/install.sh uninstall "$(DESTDIR)" "$(BUILD)" "$(BINDIR)" "$(SBINDIR)" "$(LIBDIR)" "$(MANDIR)" "$(SYSCONFDIR)" "$(PREFIX)"

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
