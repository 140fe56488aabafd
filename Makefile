# zkrs: one entry point for building, installing, the demo, the tests and the benchmarks.
# cargo does the compiling; this file only adds what cargo does not do: installing the C library with
# its SONAME symlinks, header, pkg-config file and CMake package.
#
#   make build                                  release libzkrs.so + libzkrs.a (target/release)
#   make install [PREFIX=/usr/local] [DESTDIR=] the library, include/zkrs.h, zkrs.pc, CMake package
#   make install STATIC_ONLY=1                  the same without libzkrs.so (static linking only)
#   make uninstall [PREFIX=...] [DESTDIR=]      removes what install put there
#   make demo                                   = scripts/demo.sh (the README's first command)
#   make test                                   = scripts/test.sh (the whole suite, what CI runs)
#   make bench                                  = bench/run.sh
#
# The installed files are relocatable (paths relative to where the .pc / CMake files are), so a prefix
# staged with DESTDIR, or moved elsewhere, works as is.

PREFIX ?= /usr/local
DESTDIR ?=
# Relative to PREFIX, e.g. LIBDIR=lib/x86_64-linux-gnu.
LIBDIR ?= lib
INCLUDEDIR ?= include
# 1: install libzkrs.a but not libzkrs.so, so that -lzkrs (pkg-config) always means the archive.
STATIC_ONLY ?=
CARGO ?= cargo
RUSTC ?= rustc
TARGET_DIR ?= $(or $(CARGO_TARGET_DIR),target)

VERSION := $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)
MAJOR := $(firstword $(subst ., ,$(VERSION)))
# Matches build.rs, which gives the shared library this SONAME.
SONAME := libzkrs.so.$(MAJOR)
SHARED_FILE := libzkrs.so.$(VERSION)
POINTER_BITS := $(shell $(RUSTC) --print cfg | sed -n 's/^target_pointer_width="\(.*\)"/\1/p')
POINTER_BYTES := $(shell echo $$(( $(or $(POINTER_BITS),64) / 8 )))

OUT := $(TARGET_DIR)/release
# From lib/pkgconfig and lib/cmake/zkrs back up to the prefix: one ".." per component of LIBDIR.
up = $(subst $(eval) ,/,$(foreach d,$(subst /, ,$(1)),..))
PC_UP := $(call up,$(LIBDIR)/pkgconfig)
CMAKE_UP := $(call up,$(LIBDIR)/cmake/zkrs)

dest_lib := $(DESTDIR)$(PREFIX)/$(LIBDIR)
dest_inc := $(DESTDIR)$(PREFIX)/$(INCLUDEDIR)

.PHONY: all build install uninstall demo test bench clean

all: build

build:
	$(CARGO) build --release --lib -p zkrs
	scripts/native-static-libs.sh $(OUT) > $(OUT)/native-static-libs.txt

# @NAME@ in the templates of cmake/ becomes the value of the make variable NAME.
subst_vars := VERSION MAJOR SONAME SHARED_FILE LIBDIR INCLUDEDIR PC_UP CMAKE_UP POINTER_BITS POINTER_BYTES
configure = @echo "  GEN $(2)"; sed $(foreach v,$(subst_vars),-e 's|@$(v)@|$($(v))|g') \
	-e "s|@NATIVE_STATIC_LIBS@|$$(cat $(OUT)/native-static-libs.txt)|g" $(1) > $(2)

install: build
	install -d $(dest_lib)/pkgconfig $(dest_lib)/cmake/zkrs $(dest_inc)
	install -m 644 include/zkrs.h $(dest_inc)/zkrs.h
ifneq ($(STATIC_ONLY),1)
	install -m 755 $(OUT)/libzkrs.so $(dest_lib)/$(SHARED_FILE)
	ln -sfn $(SHARED_FILE) $(dest_lib)/$(SONAME)
	ln -sfn $(SONAME) $(dest_lib)/libzkrs.so
endif
	install -m 644 $(OUT)/libzkrs.a $(dest_lib)/libzkrs.a
	$(call configure,cmake/zkrs.pc.in,$(dest_lib)/pkgconfig/zkrs.pc)
	$(call configure,cmake/zkrsConfig.cmake.in,$(dest_lib)/cmake/zkrs/zkrsConfig.cmake)
	$(call configure,cmake/zkrsConfigVersion.cmake.in,$(dest_lib)/cmake/zkrs/zkrsConfigVersion.cmake)

uninstall:
	rm -f $(dest_inc)/zkrs.h $(dest_lib)/$(SHARED_FILE) $(dest_lib)/$(SONAME) $(dest_lib)/libzkrs.so \
		$(dest_lib)/libzkrs.a $(dest_lib)/pkgconfig/zkrs.pc \
		$(dest_lib)/cmake/zkrs/zkrsConfig.cmake $(dest_lib)/cmake/zkrs/zkrsConfigVersion.cmake
	-rmdir $(dest_lib)/cmake/zkrs 2>/dev/null

demo:
	scripts/demo.sh

test:
	scripts/test.sh

bench:
	bench/run.sh

clean:
	$(CARGO) clean
