# zerverless-gitops: the two commands of the README, and their parts.
#   make quickstart   set up and run the main job on the embedded default
#   make test         set up and run the tests (what .ci/run calls)

SWIFT ?= swift
# Debian packages the build needs (the three C libraries of the system-library targets).
APT_BUILD := libgit2-dev libyaml-dev libinotifytools0-dev pkg-config
# Debian packages the tests use (real servers and tools on loopback).
APT_TEST := git rsync lua5.4 buildah busybox-static prometheus python3-venv lighttpd lighttpd-mod-openssl openssh-server openssh-client openssl

BIN_RELEASE := .build/release/zerverless-gitops

.PHONY: openapi deps deps-test build release test quickstart quickstart-stop bench bench-validate bench-git bench-static bench-daemon bench-api clean

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

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The end-to-end suites (DaemonTests) run one test at a time: their tests wait for the
# built daemon synchronously, and Swift Testing runs synchronous tests on the cooperative
# pool (as many threads as cores), where they would starve the async tests' in-process
# servers of another suite. The other suites run in parallel.
test: deps-test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip DaemonTests
	$(SWIFT) test --filter DaemonTests --no-parallel

# The daemon on the embedded default (local target), on this machine, with no network:
# a git repository made from examples/hello-app, registered by dropping a file into the
# apps dir; the daemon picks it up through inotify and syncs it into QS/state/published.
QS := $(CURDIR)/.quickstart
APT_QUICKSTART := git buildah lua5.4

quickstart: release
	$(call apt_install,$(APT_QUICKSTART))
	@if [ -f $(QS)/daemon.pid ]; then kill $$(cat $(QS)/daemon.pid) 2>/dev/null || true; fi
	@rm -rf $(QS) && mkdir -p $(QS)/apps.d $(QS)/state
	@echo "== a repository from examples/hello-app: $(QS)/hello-app"
	@cp -r examples/hello-app $(QS)/hello-app && cd $(QS)/hello-app && git init -q -b main && git add -A && \
	  git -c user.name=quickstart -c user.email=quickstart@localhost commit -qm "hello-app"
	@echo "== the daemon: $(BIN_RELEASE) run --apps-dir $(QS)/apps.d --state-dir $(QS)/state --allow-file-urls --listen none"
	@nohup $(BIN_RELEASE) run --apps-dir $(QS)/apps.d --state-dir $(QS)/state --allow-file-urls --listen none \
	  >$(QS)/daemon.log 2>&1 & echo $$! >$(QS)/daemon.pid
	@echo "== registering it: $(QS)/apps.d/hello-app.yaml"
	@printf 'apiVersion: zerverless.io/v1\nkind: Application\nmetadata:\n  name: hello-app\n  namespace: demo\nspec:\n  source:\n    repoURL: file://$(QS)/hello-app\n    branch: main\n  pollInterval: 30s\n' \
	  >$(QS)/apps.d/.hello-app.yaml.tmp && mv $(QS)/apps.d/.hello-app.yaml.tmp $(QS)/apps.d/hello-app.yaml
	@for i in $$(seq 100); do [ -f $(QS)/state/apps/hello-app/status.json ] && break; sleep 0.1; done
	@$(BIN_RELEASE) sync hello-app --wait --timeout 2m --state-dir $(QS)/state || { cat $(QS)/daemon.log; exit 1; }
	@echo "== status"
	@$(BIN_RELEASE) status --state-dir $(QS)/state
	@echo "== published"
	@cd $(QS)/state/published && find . -type f | sort
	@echo "== the daemon runs on (pid $$(cat $(QS)/daemon.pid), log $(QS)/daemon.log)."
	@echo "   Commit to $(QS)/hello-app and it is synced within 30s; stop it with: make quickstart-stop"

quickstart-stop:
	@if [ -f $(QS)/daemon.pid ]; then kill $$(cat $(QS)/daemon.pid) 2>/dev/null && echo "stopped"; rm -f $(QS)/daemon.pid; fi

# Benchmarks: each prints medians and a ratio against a peer measured in the same run.
bench: bench-validate bench-git bench-static bench-daemon bench-api

bench-validate: release
	.build/release/zg-bench validate

bench-git: release deps-test
	.build/release/zg-bench git

bench-static: release deps-test
	.build/release/zg-bench static

bench-daemon: release deps-test
	.build/release/zg-bench daemon

bench-api: release deps-test
	$(call apt_install,wrk nginx-light)
	.build/release/zg-bench api

# The OpenAPI document is served by the binary: regenerate its Swift copy after editing
# etc/zerverless/openapi.json (a test fails while they differ).
openapi:
	python3 -c "import sys; d=open('etc/zerverless/openapi.json').read(); open('Sources/HTTPFacade/OpenAPIDocument.swift','w').write('// Generated from etc/zerverless/openapi.json by \`make openapi\`; a test checks they are equal.\n// The REST API\'s OpenAPI 3.1 document, served at GET /api/gitops/openapi.json.\n\nenum OpenAPIDocument {\n    static let json = #\"\"\"\n' + d.rstrip(chr(10)) + '\n\"\"\"#\n}\n')"

clean:
	rm -rf .build
