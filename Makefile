# dupc — GNU make build.  `make` builds $(BUILD)/dupc; see README.md for
# `make demo` and `make check`.  Sources are found by wildcard, one folder per
# module (see ARCHITECTURE.md), so adding a file needs no edit here.

BUILD    ?= build
CC       ?= cc
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SANITIZE ?=
WERROR   ?=
PKG_CONFIG ?= pkg-config

PKGS := libarchive zlib libdeflate gpgme librnp libgcrypt libcurl jansson libcrypto libpcre2-8 \
        fuse3 libxml-2.0 libssh2

CSTD   := -std=c11 -D_POSIX_C_SOURCE=200809L -D_FILE_OFFSET_BITS=64
WARN   := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
          -Wmissing-prototypes -Wvla -Wwrite-strings -Wpointer-arith -fno-common
OPT    ?= -O2 -g
CFLAGS ?=
ifeq ($(WERROR),1)
WARN += -Werror
endif
# Kept out of OPT: a command-line OPT (as in `make check`) replaces OPT
# and every += to it, which silently dropped the instrumentation.
ifeq ($(SANITIZE),1)
MODEFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDSAN := -fsanitize=address,undefined
else ifeq ($(SANITIZE),fuzz)
# clang only (make fuzz): libFuzzer's coverage hooks everywhere, its
# main() linked into the fuzz_* binaries alone.
MODEFLAGS := -fsanitize=fuzzer-no-link,address,undefined \
             -fno-omit-frame-pointer -fno-sanitize-recover=all \
             -Wno-format-nonliteral
LDSAN := -fsanitize=address,undefined
else
MODEFLAGS := -fstack-protector-strong -D_FORTIFY_SOURCE=2
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS := $(CSTD) $(OPT) $(MODEFLAGS) $(WARN) -Isrc $(PKG_CFLAGS) $(CFLAGS)
LIBS       := $(PKG_LIBS) -lrsync -lpthread -lm $(LDSAN)

LIB_SRC  := $(filter-out src/cli/main.c,$(shell find src -name '*.c' | sort))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/src/cli/main.o
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
UNIT_HELPER_SRC := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))
UNIT_HELPER_OBJ := $(UNIT_HELPER_SRC:%.c=$(BUILD)/%.o)
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/replay_%)
FUZZ_BIN := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/fuzz_%)
FUZZ_BUILD ?= build-fuzz
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
SOAK_TIME ?= 120

.PHONY: all deps demo check test unit e2e asan-check clean install \
        install-duplicity-compat format-check fuzz fuzz-bins soak bench

all: $(BUILD)/dupc $(BUILD)/mfemu $(BUILD)/faultproxy

# The bundled MediaFire-compatible server (Python 3 standard library).
$(BUILD)/mfemu: $(wildcard tools/mf-emulator/*.py)
	@mkdir -p $(BUILD)
	@printf '#!/bin/sh\nexec python3 "%s/tools/mf-emulator/mfemu.py" "$$@"\n' "$(CURDIR)" >$@
	@chmod +x $@

# The TCP fault proxy the network backends' tests put in front of their
# servers (Python 3 standard library).
$(BUILD)/faultproxy: $(wildcard tools/faultproxy/*.py)
	@mkdir -p $(BUILD)
	@printf '#!/bin/sh\nexec python3 "%s/tools/faultproxy/faultproxy.py" "$$@"\n' "$(CURDIR)" >$@
	@chmod +x $@

deps:
	@scripts/install-deps

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libdupc.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/dupc: $(MAIN_OBJ) $(BUILD)/libdupc.a
	$(CC) $(OPT) -o $@ $^ $(LIBS)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(UNIT_HELPER_OBJ) $(BUILD)/libdupc.a
	$(CC) $(OPT) -o $@ $^ $(LIBS) -lcmocka

# Helper programs for the end-to-end tests (tests/tools/).
$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o $(BUILD)/libdupc.a
	$(CC) $(OPT) -o $@ $^ $(LIBS)

# Each fuzz target twice: replay_X (any compiler; runs the corpus in
# tests/fuzz/corpus/X under make check) and fuzz_X (libFuzzer, make fuzz).
$(BUILD)/tests/fuzz/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay.o $(BUILD)/libdupc.a
	$(CC) $(OPT) -o $@ $^ $(LIBS)

$(BUILD)/tests/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/libdupc.a
	$(CC) $(OPT) -fsanitize=fuzzer -o $@ $^ $(LIBS)

fuzz-bins: $(FUZZ_BIN)

unit: $(UNIT_BIN) $(FUZZ_REPLAY) $(TOOL_BIN)

# The whole suite once, in $(BUILD); the summary is printed by tests/run.
test: $(BUILD)/dupc unit
	@tests/run --build $(BUILD)

# make check: install what is missing, build warning-free, run every test,
# then the same suite under AddressSanitizer+UBSan.
check: deps
	@tools/check-deps.sh
	@tools/format-check.sh
	@$(MAKE) --no-print-directory WERROR=1 BUILD=build all unit
	@$(MAKE) --no-print-directory WERROR=1 SANITIZE=1 OPT="-O1 -g" BUILD=build-asan all unit
	@tests/run --build build --build build-asan

# make fuzz: build every target with clang and libFuzzer into
# $(FUZZ_BUILD)/ and run each for FUZZ_TIME seconds (default 60); see
# docs/hardening.md.  New inputs go to $(FUZZ_BUILD)/corpus/, crashes to
# $(FUZZ_BUILD)/artifacts/.
fuzz:
	@$(MAKE) --no-print-directory CC=$(FUZZ_CC) SANITIZE=fuzz \
	    OPT="-O1 -g" BUILD=$(FUZZ_BUILD) fuzz-bins
	@tests/fuzz/run-fuzz --build $(FUZZ_BUILD) --time $(FUZZ_TIME)

# make soak: random backups, kills, faults and restores against the
# MediaFire emulator for SOAK_TIME seconds (default 120); see
# docs/hardening.md.
soak: all
	@tests/soak/soak.py --build $(BUILD) --time $(SOAK_TIME)

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo

# The program, its manual page and its bash completion.
install: $(BUILD)/dupc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(BUILD)/dupc $(DESTDIR)$(BINDIR)/dupc
	install -m 0644 docs/dupc.1 $(DESTDIR)$(MANDIR)/man1/dupc.1
	install -m 0644 contrib/dupc.bash-completion $(DESTDIR)$(BASHCOMPDIR)/dupc

# A "duplicity" link to dupc, for front-ends that run duplicity (duply,
# deja-dup): run under that name, dupc answers --version as duplicity.
install-duplicity-compat: install
	ln -sf dupc $(DESTDIR)$(BINDIR)/duplicity

format-check:
	@tools/format-check.sh

clean:
	rm -rf build build-*

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
