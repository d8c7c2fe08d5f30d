# netnsfs — build, test, install. Run as root for test/demo/install (real mounts, real namespaces).
PREFIX     ?= /usr/local
DESTDIR    ?=
SBINDIR    ?= /sbin
UNITDIR    ?= /lib/systemd/system
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share/netnsfs
INCLUDEDIR ?= $(PREFIX)/include
CONFIG     ?= Release
DOTNET     ?= dotnet
BIN        := src/NetnsFs.Cli/bin/$(CONFIG)/net10.0
PUBLISH    := artifacts/publish
VERSION    := $(shell sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)
DEB        := artifacts/netnsfs_$(VERSION)_amd64.deb

# Debian packages the tests and the demo need; installed only when missing.
DEB_PACKAGES := fuse3 iproute2 util-linux libcap2-bin nftables python3 gcc libc6-dev socat clang zlib1g-dev perl libsocket-msghdr-perl nodejs golang-go curl default-jdk-headless rustc python3-yaml

.PHONY: all build unit unit-as-nobody test demo install install-files uninstall publish deb deps clean bench fuzz soak pack

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

# The pure parts (grammar, codecs, tables): no root, no /dev/fuse, no Python; any user may run them.
# As root (CI) they run once, as nobody (uid 65534, no groups), from a copy of the build output in a
# fresh directory under /tmp (with a copy of src/, which the declaration check reads): that proves it,
# and works from a clone nobody may enter (/root/x, 0700).
# Once only, so CI's sum of "Passed: N" counts each unit test once.
UNIT_PROJECT := tests/NetnsFs.UnitTests/NetnsFs.UnitTests.csproj
UNIT_OUT     := tests/NetnsFs.UnitTests/bin/$(CONFIG)/net10.0
NOBODY       := 65534

unit:
	@if [ "$$(id -u)" -eq 0 ]; then $(MAKE) --no-print-directory unit-as-nobody; \
	else $(DOTNET) test $(UNIT_PROJECT) -c $(CONFIG) --nologo $(UNIT_ARGS); fi

unit-as-nobody:
	$(DOTNET) build $(UNIT_PROJECT) -c $(CONFIG) --nologo -v q
	@t=$$(mktemp -d /tmp/netnsfs-unit.XXXXXX) && trap 'rm -rf "$$t"' EXIT && \
	cp -r $(UNIT_OUT) "$$t/bin" && tar --exclude=bin --exclude=obj -cf - NetnsFs.sln src | tar -xf - -C "$$t" && chown -R $(NOBODY):$(NOBODY) "$$t" && chmod 0755 "$$t" && \
	echo "unit tests as nobody (uid $(NOBODY)) in $$t" && cd "$$t" && \
	setpriv --reuid=$(NOBODY) --regid=$(NOBODY) --clear-groups -- \
	  env HOME="$$t" DOTNET_CLI_HOME="$$t" TMPDIR="$$t" DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 \
	  $(DOTNET) test "$$t/bin/NetnsFs.UnitTests.dll" $(UNIT_ARGS)

# The end-to-end tests run the NativeAOT binary, the one `make install` ships.
test: deps publish unit
	NETNSFS_BIN=$(CURDIR)/$(PUBLISH)/netnsfs $(DOTNET) test tests/NetnsFs.Tests/NetnsFs.Tests.csproj -c $(CONFIG) --nologo \
	  --logger "console;verbosity=normal" $(TEST_ARGS)

# Performance against a native socket, socat, a C libfuse proxy (bench/README.md); results in bench/results/.
bench: deps publish
	NETNSFS=$(CURDIR)/$(PUBLISH)/netnsfs bench/run
	NETNSFS=$(CURDIR)/$(PUBLISH)/netnsfs bench/handoff-cost
	NETNSFS=$(CURDIR)/$(PUBLISH)/netnsfs bench/many-namespaces
	NETNSFS=$(CURDIR)/$(PUBLISH)/netnsfs bench/held-writes
	NETNSFS=$(CURDIR)/$(PUBLISH)/netnsfs bench/run-cost
	NETNSFS=$(CURDIR)/$(PUBLISH)/netnsfs bench/rootless-cost

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

# The C# handoff client (src/NetnsFs.Client) as a NuGet package, with its .snupkg, in artifacts/nuget:
# the local feed samples/nuget restores from.
pack:
	$(DOTNET) pack src/NetnsFs.Client/NetnsFs.Client.csproj -c Release -o artifacts/nuget --nologo

# The NativeAOT binary needs no library beside it: netnsfs calls only libc (checked with strace on
# a mount, dials, listeners and handoffs), so only the binary is installed.
install: publish
	@$(MAKE) --no-print-directory install-files

# What install copies, from an existing publish output (make deb uses it too).
install-files:
	install -D -m 0755 $(PUBLISH)/netnsfs $(DESTDIR)$(PREFIX)/bin/netnsfs
	install -D -m 0755 samples/mount.fuse.netnsfs $(DESTDIR)$(SBINDIR)/mount.fuse.netnsfs
	sed -i 's|@BINDIR@|$(PREFIX)/bin|' $(DESTDIR)$(SBINDIR)/mount.fuse.netnsfs
	install -D -m 0644 src/packaging/netnsfs.8 $(DESTDIR)$(MANDIR)/man8/netnsfs.8
	install -D -m 0644 src/packaging/netnsfs@.service $(DESTDIR)$(UNITDIR)/netnsfs@.service
	sed -i 's|@BINDIR@|$(PREFIX)/bin|' $(DESTDIR)$(UNITDIR)/netnsfs@.service
	install -D -m 0644 samples/python/netnsfs.py $(DESTDIR)$(DATADIR)/python/netnsfs.py
	install -D -m 0644 samples/c/netnsfs.h $(DESTDIR)$(INCLUDEDIR)/netnsfs.h
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/netnsfs $(DESTDIR)$(SBINDIR)/mount.fuse.netnsfs
	rm -f $(DESTDIR)$(MANDIR)/man8/netnsfs.8 $(DESTDIR)$(UNITDIR)/netnsfs@.service
	rm -f $(DESTDIR)$(DATADIR)/python/netnsfs.py $(DESTDIR)$(INCLUDEDIR)/netnsfs.h
	-rmdir $(DESTDIR)$(DATADIR)/python $(DESTDIR)$(DATADIR) 2>/dev/null
	rm -rf $(DESTDIR)$(PREFIX)/lib/netnsfs
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi

# A Debian package (dpkg-deb only): the NativeAOT binary in /usr/bin, the mount helper, the man
# page, the systemd unit template and the handoff clients. apt install ./$(DEB)
deb: publish
	rm -rf artifacts/deb && mkdir -p artifacts/deb/DEBIAN
	$(MAKE) --no-print-directory install-files DESTDIR=$(CURDIR)/artifacts/deb PREFIX=/usr SBINDIR=/sbin UNITDIR=/lib/systemd/system
	gzip -9n artifacts/deb/usr/share/man/man8/netnsfs.8
	install -D -m 0644 LICENSE artifacts/deb/usr/share/doc/netnsfs/copyright
	sed -e 's|@VERSION@|$(VERSION)|' -e "s|@SIZE@|$$(du -sk --exclude=DEBIAN artifacts/deb | cut -f1)|" \
	  src/packaging/debian/control > artifacts/deb/DEBIAN/control
	install -m 0755 src/packaging/debian/postinst src/packaging/debian/postrm artifacts/deb/DEBIAN/
	dpkg-deb --root-owner-group -Zxz --build artifacts/deb $(DEB)
	@dpkg-deb --info $(DEB) | sed -n 's/^ *\(Package\|Version\|Architecture\|Depends\):/&/p'

clean:
	$(DOTNET) clean NetnsFs.sln -c $(CONFIG) --nologo -v q
	rm -rf artifacts
