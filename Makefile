# librtmp-rs: build, install, test and demo entry points. See README.md.

PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
DESTDIR ?=
CARGO   ?= cargo
CC      ?= cc

BUILD   := build
LIBOUT  := $(BUILD)/lib
SONAME  := librtmp.so.1
SHARED  := $(LIBOUT)/$(SONAME)
STATIC  := $(LIBOUT)/librtmp.a
PCFILE  := $(LIBOUT)/pkgconfig/librtmp.pc
MAP     := $(BUILD)/librtmp.map
RUST_A  := target/release/librtmp.a
HEADERS := $(wildcard include/librtmp/*.h)

.PHONY: all lib install install-strip uninstall check check-install check-integration check-deb deb demo bench \
        bench-baseline clean deps sessfuzz soak check-deps-test check-deps-demo check-deps-bench check-deps-deb \
        check-layers FORCE

all: lib

lib: $(SHARED) $(LIBOUT)/librtmp.so $(STATIC) $(PCFILE)

$(RUST_A): FORCE
	$(CARGO) build --release --lib --quiet

$(MAP): abi/symbols.txt tools/gen_map.sh
	@mkdir -p $(BUILD)
	tools/gen_map.sh abi/symbols.txt > $@

# The Rust staticlib (which carries the C shim) is linked whole into a shared object that has
# the SONAME and exports exactly librtmp's names (version script), and a build ID (which names
# split debug info).
$(SHARED): $(RUST_A) $(MAP)
	@mkdir -p $(LIBOUT)
	$(CC) -shared -o $@.tmp -Wl,-soname,$(SONAME) -Wl,--version-script=$(MAP) -Wl,--build-id \
	  -Wl,--whole-archive $(RUST_A) -Wl,--no-whole-archive \
	  -Wl,-z,relro -Wl,-z,now -Wl,--gc-sections -lpthread -ldl -lm -lc
	mv $@.tmp $@

$(LIBOUT)/librtmp.so: $(SHARED)
	ln -sf $(SONAME) $@

$(STATIC): $(RUST_A)
	@mkdir -p $(LIBOUT)
	cp $(RUST_A) $@

PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|'

$(PCFILE): pkg-config/librtmp.pc.in Makefile
	@mkdir -p $(dir $@)
	$(PC_SED) $< > $@

install: lib
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)/librtmp
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/librtmp.so
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/librtmp.a
	install -m 644 $(HEADERS) $(DESTDIR)$(INCDIR)/librtmp/
	$(PC_SED) pkg-config/librtmp.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/librtmp.pc

# GNU's install-strip: the same files, the shared library without its symbol table and debug info
# (the exported names stay in the dynamic symbol table).
install-strip: install
	strip --strip-unneeded $(DESTDIR)$(LIBDIR)/$(SONAME)

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/librtmp.so $(DESTDIR)$(LIBDIR)/librtmp.a
	rm -f $(DESTDIR)$(LIBDIR)/pkgconfig/librtmp.pc
	rm -rf $(DESTDIR)$(INCDIR)/librtmp

# The only target that installs anything: every missing package of the build, the tests, the
# demo and the benchmarks (the test oracle, Debian's librtmp 2.4, included) through apt-get (needs
# root or sudo). check, demo and bench only check their prerequisites and name `make deps` when
# something is missing.
deps:
	@tools/deps.sh install

check-deps-test:
	@tools/deps.sh check build test integration ertmp
check-deps-demo:
	@tools/deps.sh check build integration
check-deps-bench:
	@tools/deps.sh check build test integration bench
check-deps-deb:
	@tools/deps.sh check build deb

check: check-deps-test check-deps-deb lib
	python3 tools/gen_layout.py --check abi/layout.txt
	$(CARGO) test --workspace --quiet
	CARGO_TARGET_DIR=target/fuzz-check $(CARGO) check --manifest-path fuzz/Cargo.toml --bins --quiet
	$(MAKE) --no-print-directory check-layers
	tools/check_symbols.sh $(SHARED) abi/symbols.txt
	python3 tools/check_rust_sigs.py
	$(MAKE) --no-print-directory -C c-tests check
	$(MAKE) --no-print-directory check-install
	$(MAKE) --no-print-directory check-integration
	$(MAKE) --no-print-directory check-deb
	@echo "make check: all passed"

# Real programs (Debian's rtmpdump, rtmpgw, rtmpsrv, curl, curl -T, python3-librtmp) against
# nginx-rtmp or ffmpeg -listen on a free loopback port, once on our library and once on the
# system librtmp; tls.sh does it over rtmps:// (nginx's stream module as the TLS terminator) and
# checks the certificate verification table; rtmpe.sh runs RTMPE across both libraries (types
# 6/8/9, rtmpsrv, bad peers), rtmpt.sh RTMPT/RTMPTE/RTMPTS through a test gateway; readpath.sh
# checks that poll-driven readers (curl, GStreamer rtmpsrc) get the whole stream and its end;
# stress.sh runs 32 handles at once (also under ThreadSanitizer) and a bounded soak;
# sessfuzz/run.sh drives rtmpdump and a publisher through a hostile server (400 seeds and the
# regression seeds, a valgrind sample).
check-integration: lib
	c-tests/integration/play.sh
	c-tests/integration/readpath.sh
	c-tests/integration/publish.sh
	c-tests/integration/tls.sh
	c-tests/integration/rtmpe.sh
	c-tests/integration/rtmpt.sh
	c-tests/integration/ertmp.sh
	c-tests/integration/stress.sh
	c-tests/sessfuzz/run.sh 400 50

# The session fuzzer's full run: 5,000 seeds on our library, then the same seeds on the
# system librtmp for comparison (about 25 minutes).
sessfuzz: check-deps-test lib
	c-tests/sessfuzz/run.sh 5000 50 1

# The soak of stress.sh for 10 minutes (make check runs it for 1).
soak: check-deps-test lib
	STRESS_SOAK_SECONDS=600 c-tests/integration/stress.sh

# Debian packages in build/deb/ (tools/build-deb.sh: librtmp1-rs, librtmp-rs-dev and
# librtmp1-rs-dbgsym, replacing librtmp1 and librtmp-dev; docs/packaging.md).
deb: check-deps-deb lib
	tools/build-deb.sh

# The packages checked without installing them (c-tests/integration/deb.sh): control fields and
# contents, lintian, apt-get --simulate, and the extracted packages at work (rtmpdump and curl
# through play.sh and publish.sh, gdb through the dbgsym tree, pkg-config and a C program).
check-deb: deb
	c-tests/integration/deb.sh

# `make install` into a scratch prefix, then build a program the way users do, with pkg-config.
STAGE := $(abspath $(BUILD)/stage)
check-install: lib
	rm -rf $(STAGE)
	$(MAKE) --no-print-directory install PREFIX=$(STAGE) > /dev/null
	$(CC) -Wall -Werror -o $(BUILD)/hello-pkgconfig examples/hello.c \
	  $$(PKG_CONFIG_PATH=$(STAGE)/lib/pkgconfig pkg-config --cflags --libs librtmp)
	LD_LIBRARY_PATH=$(STAGE)/lib $(BUILD)/hello-pkgconfig > /dev/null
	@echo "PASS install + pkg-config: $$(PKG_CONFIG_PATH=$(STAGE)/lib/pkgconfig pkg-config --cflags --libs librtmp)"
	rm -rf $(STAGE)-strip
	$(MAKE) --no-print-directory install-strip PREFIX=$(STAGE)-strip > /dev/null
	@readelf -S $(STAGE)/lib/$(SONAME) | grep -q '\.debug_info' || { echo "FAIL install: no debug info"; exit 1; }
	@! readelf -S $(STAGE)-strip/lib/$(SONAME) | grep -e '\.debug_' -e '\.symtab' || \
	  { echo "FAIL install-strip: sections above left"; exit 1; }
	@[ "$$(nm -D --defined-only $(STAGE)-strip/lib/$(SONAME))" = "$$(nm -D --defined-only $(STAGE)/lib/$(SONAME))" ] || \
	  { echo "FAIL install-strip: the exports changed"; exit 1; }
	LD_LIBRARY_PATH=$(STAGE)-strip/lib $(BUILD)/hello-pkgconfig > /dev/null
	@echo "PASS install-strip: librtmp.so.1 $$(stat -c %s $(STAGE)/lib/$(SONAME)) -> $$(stat -c %s $(STAGE)-strip/lib/$(SONAME)) bytes, exports unchanged"

# The layering and hygiene rules (tools/check_layers.py: import cycles, calls to exported
# functions, io independent of ffi/driver, no unsafe/libc in core, SAFETY comments, links);
# the self-test first shows every rule can fail. Prints the figures. Part of `check`.
check-layers:
	python3 tools/check_layers.py --self-test
	python3 tools/check_layers.py

demo: check-deps-demo lib
	@tools/demo.sh

bench: check-deps-bench lib
	$(MAKE) --no-print-directory -C c-tests bench

# The same benchmarks with an earlier commit's release build in place of the system librtmp:
# `make bench-baseline BASELINE=<rev>` (default: the last commit before the rtmp-core split).
BASELINE ?= 915d29f
bench-baseline: check-deps-bench lib
	@lib=$$(tools/build-baseline.sh $(BASELINE) $(BUILD)/baseline) && \
	  REF_NAME="librtmp-rs $(BASELINE)" $(MAKE) --no-print-directory -C c-tests bench REF_LIB=$$lib

clean:
	rm -rf $(BUILD)
	$(CARGO) clean
