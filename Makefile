# zerverless-gitops: the two commands of the README, and their parts.
#   make quickstart   set up and run the main job on the embedded default
#   make test         set up and run the tests (what .ci/run calls)

SWIFT ?= swift
# Debian packages the build needs (the three C libraries of the system-library targets).
APT_BUILD := libgit2-dev libyaml-dev libinotifytools0-dev pkg-config
# Debian packages the tests use (real servers and tools on loopback).
APT_TEST := git rsync lua5.4 buildah busybox-static prometheus python3-venv lighttpd lighttpd-mod-openssl openssh-server openssh-client openssl \
	curl docker-registry ansible-core python3-apt systemd adduser ca-certificates binutils gnupg gpgv chromium inotify-tools \
	node-semver man-db zsh fish

BIN_RELEASE := .build/release/zerverless-gitops

.PHONY: format lint dist install uninstall deb image packages openapi deps deps-test build release test quickstart quickstart-stop bench bench-validate bench-git bench-static bench-daemon bench-api bench-drift bench-events bench-shards bench-health bench-sets bench-scale bench-soak clean

# Installs whichever of the named Debian packages are missing (apt-get update only then).
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

deps:
	$(call apt_install,$(APT_BUILD))

# Tools from PyPI the tests use (schemathesis, against the OpenAPI document), in a venv of the build dir.
TOOLS := .build/tools
deps-test: deps
	$(call apt_install,$(APT_TEST))
	@[ -x $(TOOLS)/bin/schemathesis ] || { python3 -m venv $(TOOLS) && $(TOOLS)/bin/pip install -q 'schemathesis>=4,<5'; }
	@[ -x $(TOOLS)/bin/kubernetes-validate ] || $(TOOLS)/bin/pip install -q 'kubernetes-validate>=1.31'
	@$(TOOLS)/bin/python3 -c 'import websocket' 2>/dev/null || $(TOOLS)/bin/pip install -q 'websocket-client>=1.6' 

build: deps
	$(SWIFT) build

# Release builds link the Swift runtime statically, like the binary that ships (one
# release configuration for benchmarks and packages: switching flags rebuilds everything).
release: deps
	$(SWIFT) build -c release $(STATIC)

# AgentTests runs alone: its days-long test reads its own process's figures (read calls,
# resident memory), which other suites in the same process would disturb.
# The end-to-end suites (DaemonTests) run one test at a time: their tests wait for the
# built daemon synchronously, and Swift Testing runs synchronous tests on the cooperative
# pool (as many threads as cores), where they would starve the async tests' in-process
# servers of another suite. The other suites run one test at a time too: run in parallel
# on 2 cores, a test's task could wait a minute for a thread behind the CPU-bound ones
# (a fuzz loop, libgit2 packs), and tests with real network deadlines (a redirect answered
# within a delivery's timeout, a refused connection) failed one CI run in three.
# The packaging tests (PackagingTests) install what `make packages` made from the tests'
# debug build: the same Makefile targets as the release packages, without a second build;
# ManPageTests read the man pages it made (.build/dist/man).
test: deps-test lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --no-parallel --skip DaemonTests --skip PackagingTests --skip ManPageTests --skip AgentTests
	$(SWIFT) test --filter AgentTests
	$(SWIFT) test --filter DaemonTests --no-parallel
	$(MAKE) --no-print-directory packages BUILD=debug STATIC=
	$(SWIFT) test --filter 'PackagingTests|ManPageTests'

# The formatter that ships with the toolchain (`.swift-format`: 4 spaces, 120 columns);
# `make test` fails on any lint finding. `make format` rewrites the sources in place.
format:
	$(SWIFT) format format -i -r --parallel Sources Tests Package.swift

lint:
	$(SWIFT) format lint --strict -r --parallel Sources Tests Package.swift
	@# No hand-written source file over 350 lines (generated ones say so on line 2).
	@long=$$(for f in $$(find Sources -name '*.swift'); do \
		sed -n 2p $$f | grep -q '^// Generated' || [ $$(wc -l < $$f) -le 350 ] || echo "$$f: $$(wc -l < $$f) lines"; \
	done); if [ -n "$$long" ]; then echo "over 350 lines (split by what each part does):"; echo "$$long"; exit 1; fi

# Everything that installs: the binary with its man pages and completions, the Debian
# package, the container image.
packages: dist
	$(MAKE) --no-print-directory deb NO_BUILD=1
	$(MAKE) --no-print-directory image NO_BUILD=1

# The daemon on the embedded default (local target), on this machine, with no network:
# a git repository made from examples/hello-app, registered by dropping a file into the
# apps dir; the daemon picks it up through inotify and syncs it into QS/state/published.
QS := $(CURDIR)/.quickstart
# The quickstart daemon's REST API and status page (loopback only).
QS_PORT ?= 8090
APT_QUICKSTART := git buildah lua5.4

# A debug build of the one product: the demo needs no optimizer, and the build is the one
# `make test` extends (a newcomer who runs both compiles the dependencies once).
BIN_QUICKSTART := .build/debug/zerverless-gitops
quickstart: deps
	$(SWIFT) build --product zerverless-gitops
	$(call apt_install,$(APT_QUICKSTART))
	@if [ -f $(QS)/daemon.pid ]; then kill $$(cat $(QS)/daemon.pid) 2>/dev/null || true; fi
	@rm -rf $(QS) && mkdir -p $(QS)/apps.d $(QS)/state
	@echo "== a repository from examples/hello-app: $(QS)/hello-app"
	@cp -r examples/hello-app $(QS)/hello-app && cd $(QS)/hello-app && git init -q -b main && git add -A && \
	  git -c user.name=quickstart -c user.email=quickstart@localhost commit -qm "hello-app"
	@echo "== the daemon: $(BIN_QUICKSTART) run --apps-dir $(QS)/apps.d --state-dir $(QS)/state --allow-file-urls --listen 127.0.0.1:$(QS_PORT)"
	@nohup $(BIN_QUICKSTART) run --apps-dir $(QS)/apps.d --state-dir $(QS)/state --allow-file-urls --listen 127.0.0.1:$(QS_PORT) \
	  >$(QS)/daemon.log 2>&1 & echo $$! >$(QS)/daemon.pid
	@echo "== registering it: $(QS)/apps.d/hello-app.yaml"
	@printf 'apiVersion: zerverless.io/v1\nkind: Application\nmetadata:\n  name: hello-app\n  namespace: demo\nspec:\n  source:\n    repoURL: file://$(QS)/hello-app\n    branch: main\n  pollInterval: 30s\n' \
	  >$(QS)/apps.d/.hello-app.yaml.tmp && mv $(QS)/apps.d/.hello-app.yaml.tmp $(QS)/apps.d/hello-app.yaml
	@for i in $$(seq 100); do [ -f $(QS)/state/apps/hello-app/status.json ] && break; sleep 0.1; done
	@$(BIN_QUICKSTART) sync hello-app --wait --timeout 2m --state-dir $(QS)/state || { cat $(QS)/daemon.log; exit 1; }
	@echo "== status"
	@$(BIN_QUICKSTART) status --state-dir $(QS)/state
	@echo "== published"
	@cd $(QS)/state/published && find . -type f | sort
	@echo "== the daemon runs on (pid $$(cat $(QS)/daemon.pid), log $(QS)/daemon.log)."
	@echo "   The status page and the REST API: http://127.0.0.1:$(QS_PORT)/"
	@echo "     curl -s http://127.0.0.1:$(QS_PORT)/api/gitops/applications/hello-app"
	@echo "   The commands without flags (status, sync, plan, history, rollback...):"
	@echo "     export ZG_STATE_DIR=$(QS)/state ZG_APPS_DIR=$(QS)/apps.d ZG_ALLOW_FILE_URLS=1"
	@echo "   Commit to $(QS)/hello-app and it is synced within 30s; stop it with: make quickstart-stop"

quickstart-stop:
	@if [ -f $(QS)/daemon.pid ]; then kill $$(cat $(QS)/daemon.pid) 2>/dev/null && echo "stopped"; rm -f $(QS)/daemon.pid; fi

# Benchmarks: each prints medians and a ratio against a peer measured in the same run.
bench: bench-validate bench-git bench-static bench-daemon bench-api bench-drift bench-events bench-shards bench-health

bench-validate: release
	.build/release/zg-bench validate

bench-git: release deps-test
	.build/release/zg-bench git

bench-shards: release
	.build/release/zg-bench shards

bench-drift: release deps-test
	.build/release/zg-bench drift

bench-health: release deps-test
	.build/release/zg-bench health

bench-sets: release deps-test
	.build/release/zg-bench sets

bench-events: release deps-test
	.build/release/zg-bench events

bench-static: release deps-test
	.build/release/zg-bench static

bench-daemon: release deps-test
	.build/release/zg-bench daemon

# 100,000 applications on one host (ZG_BENCH_APPS; about 30 minutes): not part of `make bench`.
bench-scale: release deps-test
	$(call apt_install,wrk nginx-light)
	.build/release/zg-bench scale

# The daemon left running (ZG_BENCH_MINUTES, default 20): not part of `make bench`.
bench-soak: release deps-test
	.build/release/zg-bench soak

bench-api: release deps-test
	$(call apt_install,wrk nginx-light)
	.build/release/zg-bench api

# The OpenAPI document is served by the binary: regenerate its Swift copy after editing
# etc/zerverless/openapi.json (a test fails while they differ).
openapi:
	python3 -c "import sys; d=open('etc/zerverless/openapi.json').read(); open('Sources/HTTPFacade/OpenAPIDocument.swift','w').write('// swift-format-ignore-file\n// Generated from etc/zerverless/openapi.json by \`make openapi\`; a test checks they are equal.\n// The REST API\'s OpenAPI 3.1 document, served at GET /api/gitops/openapi.json.\n\nenum OpenAPIDocument {\n    static let json = #\"\"\"\n' + d.rstrip(chr(10)) + '\n\"\"\"#\n}\n')"

# --- Installing -------------------------------------------------------------------------
# The binary that ships: release, the Swift runtime and Foundation linked in
# (--static-swift-stdlib), stripped. libgit2, libyaml and libinotifytools stay dynamic.
VERSION := $(shell sed -n 's/.*version: "\(.*\)".*/\1/p' Sources/zerverless-gitops/ZerverlessGitops.swift)
# BUILD=debug packages a debug build instead (the tests do: it shares their build).
BUILD ?= release
DIST := .build/dist
STATIC := --static-swift-stdlib

dist: deps
	$(SWIFT) build -c $(BUILD) $(STATIC) --product zerverless-gitops
	@# argument-parser's manual generator, built by its plugin (run directly below: the plugin
	@# itself would rebuild the binary without $(STATIC)).
	@$(SWIFT) package plugin generate-manual --help >/dev/null
	@rm -rf $(DIST) && mkdir -p $(DIST)/man $(DIST)/completions
	strip -o $(DIST)/zerverless-gitops .build/$(BUILD)/zerverless-gitops
	@$$(find .build -path '*/debug/generate-manual-tool' -type f | head -1) $(DIST)/zerverless-gitops \
	  --multi-page --date 2026-11-28 -o $(DIST)/man && sh etc/man/finish.sh $(DIST)/man $(VERSION)
	@for sh in bash zsh fish; do $(DIST)/zerverless-gitops --generate-completion-script $$sh >$(DIST)/completions/$$sh; done
	@echo "$(DIST)/zerverless-gitops: $$(du -m $(DIST)/zerverless-gitops | cut -f1) MB, needs: $$(objdump -p $(DIST)/zerverless-gitops | awk '/NEEDED/ {printf "%s ", $$2}')"

# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, the systemd unit, man pages,
# completions, the schemas, /etc/zerverless/{apps.d,secrets} and /etc/default's options.
# With no DESTDIR, as root, it also creates the service user (what the package's postinst does).
PREFIX ?= /usr/local
DESTDIR ?=
UNITDIR := $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)

install: $(if $(NO_BUILD),,dist)
	install -D -m 0755 $(DIST)/zerverless-gitops $(DESTDIR)$(PREFIX)/bin/zerverless-gitops
	install -d -m 0755 $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/share/zerverless-gitops
	install -m 0644 $(DIST)/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -D -m 0644 $(DIST)/completions/bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/zerverless-gitops
	install -D -m 0644 $(DIST)/completions/zsh $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_zerverless-gitops
	install -D -m 0644 $(DIST)/completions/fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/zerverless-gitops.fish
	sed 's|/usr/bin/zerverless-gitops|$(PREFIX)/bin/zerverless-gitops|' etc/systemd/zerverless-gitops.service \
	  >$(DESTDIR)$(UNITDIR)/zerverless-gitops.service && chmod 0644 $(DESTDIR)$(UNITDIR)/zerverless-gitops.service
	install -m 0644 etc/zerverless/status.schema.json etc/zerverless/openapi.json etc/zerverless/apps.d/*.sample \
	  $(DESTDIR)$(PREFIX)/share/zerverless-gitops/
	install -d -m 0755 $(DESTDIR)/etc/zerverless $(DESTDIR)/etc/zerverless/apps.d $(DESTDIR)/etc/default
	install -d -m 0700 $(DESTDIR)/etc/zerverless/secrets
	@[ -e $(DESTDIR)/etc/default/zerverless-gitops ] || install -m 0644 etc/default/zerverless-gitops $(DESTDIR)/etc/default/
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then sh etc/debian/postinst configure; fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/zerverless-gitops $(DESTDIR)$(PREFIX)/share/man/man1/zerverless-gitops*.1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/zerverless-gitops \
	  $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_zerverless-gitops \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/zerverless-gitops.fish \
	  $(DESTDIR)$(UNITDIR)/zerverless-gitops.service
	rm -rf $(DESTDIR)$(PREFIX)/share/zerverless-gitops

# make deb: .build/zerverless-gitops_VERSION_ARCH.deb (dpkg-deb), Depends computed from the
# binary's NEEDED libraries (dpkg -S), plus git; postinst creates the user and the dirs.
ARCH := $(shell dpkg --print-architecture)
DEB := .build/zerverless-gitops_$(VERSION)_$(ARCH).deb
DEBROOT := .build/debroot

deb: $(if $(NO_BUILD),,dist)
	@rm -rf $(DEBROOT) && $(MAKE) --no-print-directory install NO_BUILD=1 PREFIX=/usr DESTDIR=$(CURDIR)/$(DEBROOT) >/dev/null
	@mkdir -p $(DEBROOT)/DEBIAN && cp etc/debian/postinst etc/debian/prerm etc/debian/postrm $(DEBROOT)/DEBIAN/ && chmod 0755 $(DEBROOT)/DEBIAN/p*
	@echo /etc/default/zerverless-gitops >$(DEBROOT)/DEBIAN/conffiles
	@depends=$$(for lib in $$(objdump -p $(DIST)/zerverless-gitops | awk '/NEEDED/ {print $$2}'); do \
	    dpkg -S "*/$$lib" 2>/dev/null | grep -v -- '-dev' | head -1 | cut -d: -f1; done | sort -u | paste -sd, | sed 's/,/, /g'); \
	  sed -e 's/@VERSION@/$(VERSION)/' -e 's/@ARCH@/$(ARCH)/' -e "s/@DEPENDS@/$$depends, git/" \
	    -e "s/@SIZE@/$$(du -sk $(DEBROOT) | cut -f1)/" etc/debian/control.in >$(DEBROOT)/DEBIAN/control
	dpkg-deb --root-owner-group -Zzstd --build $(DEBROOT) $(DEB)
	@dpkg-deb --field $(DEB) Package Version Depends Installed-Size

# make image: an OCI image (docker format, for its HEALTHCHECK) built offline by buildah
# from scratch: the binary, its libraries, busybox for the health check, a non-root user.
IMAGE ?= localhost/zerverless-gitops
image: $(if $(NO_BUILD),,dist)
	$(call apt_install,buildah busybox-static openssl ca-certificates)
	sh etc/image/build.sh $(DIST)/zerverless-gitops $(IMAGE) $(VERSION)

clean:
	rm -rf .build
