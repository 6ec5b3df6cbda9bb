# Build, test and install the project. Every module is found by wildcard, so a
# new file in engine/lib or a program directory needs no edit here.
#
#   make                  build everything into build/
#   make check            deps, build, unit + bats tests, then ASan/UBSan again
#   make demo             loopback cluster demo (scripts/demo.sh)
#   make install DESTDIR=... PREFIX=/usr
#   make bench            speed comparison with stock distcc and plain gcc
#   make bench-scale      speedup against N simulated helpers (bench/scale.sh, root)
#   make bench-slowlink   ,zstd against ,lzo over a slow link (bench/slowlink.sh, root)
#   make bench-busy       two clients, three helpers (one slowed): busy helpers against list order (bench/busy.sh, root)
#   make bench-daemon-cost  the daemon's CPU per job, ours against stock distccd (bench/daemon-cost.sh, root)
#   make fuzz             libFuzzer targets (tests/fuzz) into build/fuzz, each run
#                         FUZZ_SECONDS (60); make check runs each for 12 s
#   make dist             $(BUILD)/distcc-gentoo-$(VERSION).tar.gz, the release
#                         tarball the versioned ebuild builds from
#   make format-check     C files clang-format (.clang-format) would change;
#                         make format rewrites them (scripts/format.sh)

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
DCC_DEFS   = -D_GNU_SOURCE -DDCC_VERSION='"$(VERSION)"' -DDCC_SYSCONFDIR='"$(SYSCONFDIR)"' \
	-DDCC_LIBDIR='"$(LIBDIR)"' -DDCC_GNU_HOST='"$(GNU_HOST)"' -Iengine/lib $(DEP_CFLAGS)
DCC_CFLAGS = -std=gnu11 $(OPT) $(WARN) $(SANFLAGS) $(DCC_DEFS) $(CFLAGS)
# --as-needed: each program loads only the libraries it calls (start-up time
# is per job for the client).
DCC_LDFLAGS = $(SANFLAGS) -Wl,--as-needed $(LDFLAGS)

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)
# The triple distcc rewrites gcc to (gcc -> x86_64-pc-linux-gnu-gcc), fixed at
# build time so no job pays for asking the compiler.
GNU_HOST := $(shell gcc -dumpmachine 2>/dev/null || echo unknown-linux-gnu)

# Required: popt, lzo2 and libzstd (,lzo and ,zstd on the wire) and libb2 (BLAKE2,
# the pump header cache's digests), enough for distcc, distccd, pump, distccmon-text,
# distcc-config and distccflags (a bare stage3 bootstraps with these alone).
# Optional parts, each a switch: auto (on when its library is found), 1 (on;
# a missing library is an error), 0 (off).
#   WITH_JSON       jansson: distccd's /stats.json and /toolchain pages, and CAPS
#                   (without it the client takes every helper for stock: no zstd,
#                   header cache or toolchain matching, -march=native stays local)
#   WITH_CURL       libcurl: distcc-preflight's HTTP queries to the helpers
#   WITH_INIPARSER  iniparser: distcc-preflight's /etc/distcc/distcc.conf
#   WITH_SECCOMP    libseccomp: the seccomp layer of distccd's job sandbox
#                   (namespaces and Landlock need no library)
#   WITH_ZEROCONF   avahi-client: +zeroconf in the client's host list and
#                   distccd --zeroconf (the ebuild's zeroconf USE flag)
#   WITH_GSSAPI     krb5-gssapi (MIT Kerberos): distcc's ,auth hosts and
#                   distccd --auth, GSS-API mutual authentication as in 3.4
# distcc-preflight needs the first three.
#   STATIC_CLIENT   distcc (the client, started once per job) links popt, lzo2,
#                   libzstd, libb2 and jansson from their static archives
#                   (Debian's -dev packages have them; Gentoo: static-libs):
#                   no dynamic loading of five libraries and libgomp, about
#                   1 ms of CPU per job on the bench's machine
WITH_JSON      ?= auto
WITH_CURL      ?= auto
WITH_INIPARSER ?= auto
WITH_SECCOMP   ?= auto
# WITH_GTK: gtk+-3.0, distccmon-gui (the ebuild's gtk USE flag)
WITH_GTK       ?= auto
WITH_ZEROCONF  ?= auto
WITH_GSSAPI    ?= auto
STATIC_CLIENT  ?= auto
FEATURE_ENV = WITH_JSON=$(WITH_JSON) WITH_CURL=$(WITH_CURL) WITH_INIPARSER=$(WITH_INIPARSER) WITH_SECCOMP=$(WITH_SECCOMP) \
	WITH_GTK=$(WITH_GTK) WITH_ZEROCONF=$(WITH_ZEROCONF) WITH_GSSAPI=$(WITH_GSSAPI)

PKGS     = popt lzo2 libzstd libb2
DEPS_OK ?= $(shell $(FEATURE_ENV) scripts/deps.sh --quiet-check --build >/dev/null 2>&1 && echo yes)
ifeq ($(DEPS_OK),yes)
LIB_popt    := $(shell pkg-config --libs popt)
LIB_lzo2    := $(shell pkg-config --libs lzo2)
LIB_b2      := $(shell pkg-config --libs libb2)
LIB_zstd    := $(shell pkg-config --libs libzstd)
LIB_cmocka  := $(shell pkg-config --libs cmocka 2>/dev/null)
DEP_CFLAGS  := $(shell pkg-config --cflags $(PKGS))

# iniparser has a pkg-config file only in some versions; Debian and Gentoo
# put the header in include/iniparser/.
INI_PC      := $(shell pkg-config --exists iniparser 2>/dev/null && echo yes)
INI_CFLAGS  := $(if $(INI_PC),$(shell pkg-config --cflags iniparser),$(if $(wildcard /usr/include/iniparser/iniparser.h),-I/usr/include/iniparser))
HAVE_JSON      := $(shell pkg-config --exists jansson 2>/dev/null && echo 1)
HAVE_CURL      := $(shell pkg-config --exists libcurl 2>/dev/null && echo 1)
HAVE_INIPARSER := $(if $(INI_PC)$(INI_CFLAGS)$(wildcard /usr/include/iniparser.h),1)
HAVE_SECCOMP   := $(shell pkg-config --exists libseccomp 2>/dev/null && echo 1)
HAVE_GTK       := $(shell pkg-config --exists gtk+-3.0 2>/dev/null && echo 1)
HAVE_ZEROCONF  := $(shell pkg-config --exists avahi-client 2>/dev/null && echo 1)
HAVE_GSSAPI    := $(shell pkg-config --exists krb5-gssapi krb5 2>/dev/null && echo 1)

# $(call feature,VAR,HAVE,library,Debian package,Gentoo atom): 1 or 0; when
# it is 0, OFF_<VAR> says why.
comma := ,
feature = $(strip \
  $(if $(filter-out auto 0 1,$($(1))),$(error $(1) must be auto$(comma) 1 or 0$(comma) not "$($(1))")) \
  $(if $(filter 0,$($(1))),$(eval OFF_$(1) := $(1)=0)0, \
  $(if $(2),1, \
  $(if $(filter 1,$($(1))),$(error $(1)=1 but $(3) is not found: install $(4) (Debian) or $(5) (Gentoo)), \
  $(eval OFF_$(1) := $(3) not found: install $(4) / $(5)$(comma) or $(1)=1 to require it)0))))
USE_JSON      := $(call feature,WITH_JSON,$(HAVE_JSON),jansson,libjansson-dev,dev-libs/jansson)
USE_CURL      := $(call feature,WITH_CURL,$(HAVE_CURL),libcurl,libcurl4-openssl-dev,net-misc/curl)
USE_INIPARSER := $(call feature,WITH_INIPARSER,$(HAVE_INIPARSER),iniparser,libiniparser-dev,dev-libs/iniparser)
USE_SECCOMP   := $(call feature,WITH_SECCOMP,$(HAVE_SECCOMP),libseccomp,libseccomp-dev,sys-libs/libseccomp)
USE_GTK       := $(call feature,WITH_GTK,$(HAVE_GTK),gtk+-3.0,libgtk-3-dev,x11-libs/gtk+:3)
USE_ZEROCONF  := $(call feature,WITH_ZEROCONF,$(HAVE_ZEROCONF),avahi-client,libavahi-client-dev,net-dns/avahi[dbus])
USE_GSSAPI    := $(call feature,WITH_GSSAPI,$(HAVE_GSSAPI),krb5-gssapi,libkrb5-dev,app-crypt/mit-krb5)

STATIC_ARCHIVES := libpopt.a liblzo2.a libzstd.a libb2.a $(if $(filter 1,$(USE_JSON)),libjansson.a)
HAVE_STATIC_CLIENT := $(if $(strip $(foreach a,$(STATIC_ARCHIVES),$(if $(filter /%,$(shell $(CC) -print-file-name=$(a))),,no))),,1)
USE_STATIC_CLIENT := $(call feature,STATIC_CLIENT,$(HAVE_STATIC_CLIENT),$(STATIC_ARCHIVES),the libraries' -dev packages,their static-libs USE flag)

ifeq ($(USE_JSON),1)
DEP_CFLAGS  += $(shell pkg-config --cflags jansson)
LIB_jansson := $(shell pkg-config --libs jansson)
endif
ifeq ($(USE_CURL),1)
DEP_CFLAGS  += $(shell pkg-config --cflags libcurl)
LIB_curl    := $(shell pkg-config --libs libcurl)
endif
ifeq ($(USE_INIPARSER),1)
DEP_CFLAGS  += $(INI_CFLAGS)
LIB_ini     := $(if $(INI_PC),$(shell pkg-config --libs iniparser),-liniparser)
endif
ifeq ($(USE_SECCOMP),1)
DEP_CFLAGS  += $(shell pkg-config --cflags libseccomp)
LIB_seccomp := $(shell pkg-config --libs libseccomp)
endif
ifeq ($(USE_GTK),1)
# -isystem: GTK's headers are not held to our warning flags.
GTK_CFLAGS  := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags gtk+-3.0))
LIB_gtk     := $(shell pkg-config --libs gtk+-3.0)
endif
ifeq ($(USE_ZEROCONF),1)
DEP_CFLAGS  += $(shell pkg-config --cflags avahi-client)
endif
ifeq ($(USE_GSSAPI),1)
DEP_CFLAGS  += $(shell pkg-config --cflags krb5-gssapi krb5)
endif
# Avahi and GSS-API are not linked: engine/lib/base/dcc_dl loads them
# (libavahi-client.so.3, libgssapi_krb5.so.2) when a program first browses,
# publishes or authenticates, so every distcc start does not load them and
# the dozen libraries behind them (D-Bus, libsystemd, libgcrypt, Kerberos).
LIB_dl      := -ldl
DEP_CFLAGS  += -DDCC_WITH_JSON=$(USE_JSON) -DDCC_WITH_SECCOMP=$(USE_SECCOMP) -DDCC_WITH_ZEROCONF=$(USE_ZEROCONF) -DDCC_WITH_GSSAPI=$(USE_GSSAPI)

# What is left out, and why: one line per part, whenever something is built.
and_then = $(if $(1),$(if $(2),$(1); $(2),$(1)),$(2))
PREFLIGHT_OFF := $(call and_then,$(call and_then,$(OFF_WITH_JSON),$(OFF_WITH_CURL)),$(OFF_WITH_INIPARSER))
ifneq ($(filter-out clean uninstall dist deps format format-check,$(or $(MAKECMDGOALS),all)),)
ifneq ($(PREFLIGHT_OFF),)
$(info distcc-preflight: not built ($(PREFLIGHT_OFF)))
endif
ifneq ($(USE_JSON),1)
$(info distcc, distccd: built without CAPS (every helper is taken for stock) and without the /stats.json and /toolchain pages ($(OFF_WITH_JSON)))
endif
ifneq ($(USE_SECCOMP),1)
$(info distccd: built without the seccomp layer of the job sandbox ($(OFF_WITH_SECCOMP)))
endif
ifneq ($(USE_GTK),1)
$(info distccmon-gui: not built ($(OFF_WITH_GTK)))
endif
ifneq ($(USE_ZEROCONF),1)
$(info distcc, distccd: built without Zeroconf (+zeroconf, --zeroconf) ($(OFF_WITH_ZEROCONF)))
endif
ifneq ($(USE_GSSAPI),1)
$(info distcc, distccd: built without GSS-API authentication (,auth and --auth) ($(OFF_WITH_GSSAPI)))
endif
endif
endif

LIB_SRCS  := $(sort $(wildcard engine/lib/*/*.c))
# Modules that exist only for an optional part.
ifneq ($(USE_JSON),1)
LIB_SRCS  := $(filter-out engine/lib/admin/dcc_preflight.c engine/lib/admin/dcc_verdict.c engine/lib/client/dcc_fit.c engine/lib/proto/dcc_tcmatch.c,$(LIB_SRCS))
endif
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIBDCC    := $(BUILD)/libdcc.a
LIBDCC_LIBS = $(LIB_lzo2) $(LIB_zstd) $(LIB_b2) $(LIB_jansson) $(LIB_seccomp) $(LIB_dl)
# A program's own link line, in place of its libraries and LIBDCC_LIBS.
ifeq ($(USE_STATIC_CLIENT),1)
LINK_distcc = -Wl,-Bstatic $(LIB_popt) $(LIB_lzo2) $(LIB_zstd) $(LIB_b2) $(LIB_jansson) -Wl,-Bdynamic \
	$(LIB_seccomp) $(LIB_dl)
endif

# program name : source directory : extra libraries
PROGRAMS := distccd:engine/daemon:popt \
            distcc:engine/client:popt \
            distccmon-text:engine/monitor:popt \
            distcc-preflight:engine/preflight:popt+curl+ini \
            distcc-config:distcc-config:popt \
            distccflags:flags:popt \
            pump:engine/pump:popt \
            distccmon-gui:engine/monitor:popt+gtk+curl
# Every program's name, built or not: a directory shared by programs
# holds each one's main file under its name.
PROGRAM_NAMES := $(foreach p,$(PROGRAMS),$(word 1,$(subst :, ,$(p))))
ifeq ($(USE_GTK),1)
$(BUILD)/engine/monitor/distccmon-gui.o: DCC_CFLAGS += $(GTK_CFLAGS) -DDCC_GUI_CURL=$(USE_CURL)
else
PROGRAMS := $(filter-out distccmon-gui:%,$(PROGRAMS))
endif
ifneq ($(PREFLIGHT_OFF),)
PROGRAMS := $(filter-out distcc-preflight:%,$(PROGRAMS))
endif
prog_name = $(word 1,$(subst :, ,$(1)))
prog_dir  = $(word 2,$(subst :, ,$(1)))
prog_libs = $(foreach l,$(subst +, ,$(word 3,$(subst :, ,$(1)))),$(LIB_$(l)))

BINS :=
define program_rules
# Programs sharing a directory each leave out the others' main files.
$(1)_SRCS := $$(filter-out $$(foreach o,$$(filter-out $(1),$$(PROGRAM_NAMES)),$(2)/$$(o).c),$$(sort $$(wildcard $(2)/*.c)))
ifneq ($$($(1)_SRCS),)
BINS += $(BUILD)/bin/$(1)
$(BUILD)/bin/$(1): $$($(1)_SRCS:%.c=$(BUILD)/%.o) $(LIBDCC) | $(BUILD)/bin
	$$(CC) -o $$@ $$^ $(DCC_LDFLAGS) $$(or $$(LINK_$(1)),$(3) $$(LIBDCC_LIBS)) -lm
endif
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rules,$(call prog_name,$(p)),$(call prog_dir,$(p)),$(call prog_libs,$(p)))))

# test_helpers.c is no test: it is linked into every one.
UNIT_SRCS := $(filter-out tests/unit/test_helpers.c,$(sort $(wildcard tests/unit/test_*.c)))
ifneq ($(USE_JSON),1)
UNIT_SRCS := $(filter-out tests/unit/test_preflight.c tests/unit/test_stats.c tests/unit/test_toolchain.c tests/unit/test_verdict.c tests/unit/test_caps.c tests/unit/test_fit.c tests/unit/test_tcmatch.c tests/unit/test_paths.c tests/unit/test_cc1.c tests/unit/test_busy.c,$(UNIT_SRCS))
endif
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)

.PHONY: all deps units check demo install uninstall bench bench-scale bench-slowlink bench-busy bench-daemon-cost clean dist fuzz fuzz-build format format-check

# Fuzz targets: clang's libFuzzer with ASan and UBSan, one program per
# tests/fuzz/fuzz_NAME.c, linked against engine/lib built the same way in
# its own tree (the library's objects get coverage but no main).
FUZZ_CC      ?= clang
FUZZ         := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 12
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# clang, unlike gcc, counts libseccomp's SCMP_A0() compound literals as
# missing field initializers.
FUZZ_CFLAGS   = -std=gnu11 -O1 -g $(WARN) -Wno-missing-field-initializers $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
	$(DCC_DEFS)
FUZZ_LIB_OBJS = $(LIB_SRCS:%.c=$(FUZZ)/%.o)
FUZZ_SRCS    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ)/%)
.SECONDARY: $(FUZZ_SRCS:%.c=$(FUZZ)/%.o)

ifneq ($(DEPS_OK),yes)
ifeq ($(DEPS_RETRY),1)
# deps.sh said it installed everything, yet the check still fails (a
# pkg-config that cannot see the libraries): stop instead of looping.
$(error scripts/deps.sh installed the build dependencies, but pkg-config still does not find them all; scripts/deps.sh --build names what is missing)
endif
# A fresh machine: install what is missing, then run the same goal again so
# the pkg-config results above are read with the libraries present.
all units demo bench bench-scale bench-slowlink bench-busy bench-daemon-cost install:
	@$(FEATURE_ENV) scripts/deps.sh --build
	@$(MAKE) --no-print-directory DEPS_RETRY=1 $@
check fuzz fuzz-build:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory DEPS_RETRY=1 $@
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

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(BUILD)/tests/unit/test_helpers.o $(LIBDCC)
	$(CC) -o $@ $^ $(DCC_LDFLAGS) $(LIB_cmocka) $(LIB_popt) $(LIBDCC_LIBS) -lm

FUZZ_HASH  := $(shell printf '%s' "$(subst ",\",$(FUZZ_CC) $(FUZZ_CFLAGS))" | md5sum | cut -c1-12)
FUZZ_STAMP := $(FUZZ)/.flags-$(FUZZ_HASH)
$(FUZZ_STAMP):
	@mkdir -p $(@D) && rm -f $(FUZZ)/.flags-* && touch $@

$(FUZZ)/%.o: %.c $(FUZZ_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ)/libdcc.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ)/fuzz_%: $(FUZZ)/tests/fuzz/fuzz_%.o $(FUZZ)/libdcc.a
	$(FUZZ_CC) -o $@ $^ $(FUZZ_SAN) -fsanitize=fuzzer $(LIBDCC_LIBS) -lm

ifeq ($(DEPS_OK),yes)
units: $(UNIT_BINS)

# Results of every suite are TAP files in $(BUILD)/tap; scripts/tap-summary.sh
# prints the one summary line and fails if anything failed.
check:
	@scripts/deps.sh
	@rm -rf build/tap build-asan/tap $(FUZZ)/tap
	@$(MAKE) --no-print-directory all units
	@scripts/run-tests.sh unit build
	@scripts/run-tests.sh bats build
	@$(MAKE) --no-print-directory SAN=1 all units
	@scripts/run-tests.sh unit build-asan
	@scripts/run-tests.sh bats-daemon build-asan
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_SECONDS=$(FUZZ_CHECK_SECONDS) scripts/run-tests.sh fuzz $(FUZZ)
	@scripts/tap-summary.sh build/tap build-asan/tap $(FUZZ)/tap

fuzz-build: $(FUZZ_BINS)

# Each target for FUZZ_SECONDS from its seeds (tests/fuzz/corpus/NAME);
# what a run finds lands in build/fuzz/crash-NAME-*.
fuzz:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory fuzz-build
	@rm -rf $(FUZZ)/tap
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/run-tests.sh fuzz $(FUZZ)
	@scripts/tap-summary.sh $(FUZZ)/tap

demo: all
	@scripts/demo.sh $(BUILD)

$(BUILD)/bench/sandbox-cost: bench/sandbox-cost.c $(LIBDCC)
	@mkdir -p $(@D)
	$(CC) $(DCC_CFLAGS) -o $@ $< $(LIBDCC) $(DCC_LDFLAGS) $(LIBDCC_LIBS)

$(BUILD)/bench/lock-wait: bench/lock-wait.c $(LIBDCC)
	@mkdir -p $(@D)
	$(CC) $(DCC_CFLAGS) -o $@ $< $(LIBDCC) $(DCC_LDFLAGS) $(LIBDCC_LIBS)

$(BUILD)/bench/state-cost: bench/state-cost.c $(LIBDCC)
	@mkdir -p $(@D)
	$(CC) $(DCC_CFLAGS) -o $@ $< $(LIBDCC) $(DCC_LDFLAGS) $(LIBDCC_LIBS)

bench: all $(BUILD)/bench/sandbox-cost $(BUILD)/bench/replay-cc
	@bench/run.sh $(BUILD)

$(BUILD)/bench/replay-cc: bench/replay-cc.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(OPT) $(WARN) $(CFLAGS) -o $@ $<

bench-scale: all $(BUILD)/bench/replay-cc
	@bench/scale.sh $(BUILD)

bench-slowlink: all $(BUILD)/bench/replay-cc
	@bench/slowlink.sh $(BUILD)

bench-busy: all $(BUILD)/bench/replay-cc
	@bench/busy.sh $(BUILD)

bench-daemon-cost: all $(BUILD)/bench/replay-cc
	@bench/daemon-cost.sh $(BUILD)

install: all
	@scripts/install.sh install "$(DESTDIR)" "$(BUILD)" "$(BINDIR)" "$(SBINDIR)" "$(LIBDIR)" "$(MANDIR)" "$(SYSCONFDIR)" "$(PREFIX)"

endif

uninstall:
	@scripts/install.sh uninstall "$(DESTDIR)" "$(BUILD)" "$(BINDIR)" "$(SBINDIR)" "$(LIBDIR)" "$(MANDIR)" "$(SYSCONFDIR)" "$(PREFIX)"

# The committed files (git archive HEAD), in one directory named like the
# tarball; nothing from a build. Needs no library, only git. VERSION also
# names the release ebuild, portage/sys-devel/distcc/distcc-VERSION.ebuild:
# rename it with VERSION (gentoo-ebuild.bats checks the two agree).
DIST_NAME := distcc-gentoo-$(VERSION)
DIST_FILE := $(BUILD)/$(DIST_NAME).tar.gz
dist:
	@git rev-parse --git-dir >/dev/null 2>&1 || { echo "make dist: needs a git checkout" >&2; exit 1; }
	@git diff --quiet HEAD -- || echo "make dist: uncommitted changes are not in the tarball (it is made from HEAD)" >&2
	@mkdir -p $(BUILD)
	@git archive --format=tar --prefix=$(DIST_NAME)/ HEAD | gzip -9n >$(DIST_FILE).tmp
	@mv $(DIST_FILE).tmp $(DIST_FILE)
	@echo "$(DIST_FILE)"

clean:
	rm -rf build build-asan

# clang-format with .clang-format, an optional developer tool (not in make
# check): format rewrites the C sources, format-check lists those that differ.
format:
	@scripts/format.sh
format-check:
	@scripts/format.sh --check

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
ifneq ($(filter fuzz fuzz-build check,$(MAKECMDGOALS)),)
-include $(shell find $(FUZZ) -name '*.d' -type f 2>/dev/null)
endif
