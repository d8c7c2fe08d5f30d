# netnsfs — build, test, install. Run as root for test/demo/install (real mounts, real namespaces).
PREFIX     ?= /usr/local
DESTDIR    ?=
SBINDIR    ?= /sbin
CONFIG     ?= Release
DOTNET     ?= dotnet
BIN        := src/NetnsFs.Cli/bin/$(CONFIG)/net10.0
PUBLISH    := artifacts/publish

# Debian packages the tests and the demo need; installed only when missing.
DEB_PACKAGES := fuse3 iproute2 util-linux python3 gcc libc6-dev socat clang zlib1g-dev

.PHONY: all build test demo install uninstall publish deps clean bench fuzz soak

all: build

build:
	$(DOTNET) build NetnsFs.sln -c $(CONFIG) --nologo -v q

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# The end-to-end tests run the NativeAOT binary, the one `make install` ships.
test: deps publish
	NETNSFS_BIN=$(CURDIR)/$(PUBLISH)/netnsfs $(DOTNET) test tests/NetnsFs.Tests/NetnsFs.Tests.csproj -c $(CONFIG) --nologo \
	  --logger "console;verbosity=normal" $(TEST_ARGS)

# Performance against a native socket, socat, a C libfuse proxy (bench/README.md); results in bench/results/.
bench: deps publish
	NETNSFS=$(CURDIR)/$(PUBLISH)/netnsfs bench/run

# Fuzzing with SharpFuzz + AFL++ (tests/NetnsFs.Fuzz/RESULTS.md); FUZZ_SECONDS per target.
fuzz:
	tests/NetnsFs.Fuzz/run

# 1 000 000 open/close cycles with transfers; fd count and RSS recorded (tests/NetnsFs.Fuzz/SOAK.md).
soak: deps publish
	NETNSFS_BIN=$(CURDIR)/$(PUBLISH)/netnsfs tests/NetnsFs.Fuzz/soak

demo: deps build
	@bash samples/demo.sh $(BIN)/netnsfs

# The daemon as a native (NativeAOT) binary.
publish:
	$(DOTNET) publish src/NetnsFs.Cli/NetnsFs.Cli.csproj -c Release -r linux-x64 -p:NativeAot=true -o $(PUBLISH) --nologo

install: publish
	install -D -m 0755 $(PUBLISH)/netnsfs $(DESTDIR)$(PREFIX)/bin/netnsfs
	for so in $(PUBLISH)/*.so; do [ -e "$$so" ] && install -D -m 0644 "$$so" $(DESTDIR)$(PREFIX)/lib/netnsfs/$$(basename $$so) || true; done
	install -D -m 0755 samples/mount.fuse.netnsfs $(DESTDIR)$(SBINDIR)/mount.fuse.netnsfs
	sed -i 's|@BINDIR@|$(PREFIX)/bin|' $(DESTDIR)$(SBINDIR)/mount.fuse.netnsfs

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/netnsfs $(DESTDIR)$(SBINDIR)/mount.fuse.netnsfs
	rm -rf $(DESTDIR)$(PREFIX)/lib/netnsfs

clean:
	$(DOTNET) clean NetnsFs.sln -c $(CONFIG) --nologo -v q
	rm -rf artifacts
