# zerverless-gitops: the two commands of the README, and their parts.
#   make quickstart   set up and run the main job on the embedded default
#   make test         set up and run the tests (what .ci/run calls)

SWIFT ?= swift
# Debian packages the build needs (the three C libraries of the system-library targets).
APT_BUILD := libgit2-dev libyaml-dev libinotifytools0-dev pkg-config
# Debian packages the tests use (real servers and tools on loopback).
APT_TEST := git rsync lua5.4 buildah lighttpd lighttpd-mod-openssl openssh-server openssh-client openssl

BIN_RELEASE := .build/release/zerverless-gitops

.PHONY: deps deps-test build release test quickstart bench bench-validate bench-git bench-static clean

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

deps-test: deps
	$(call apt_install,$(APT_TEST))

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps-test
	$(SWIFT) build --build-tests
	$(SWIFT) test

quickstart: release
	@echo "== validating the example application and the sample registrations"
	$(BIN_RELEASE) validate examples/hello-app/zerverless.yaml etc/zerverless/apps.d/*.sample
	@echo "== and a broken one, to show what a mistake looks like"
	-@printf 'name: My-App\nnamespace: demo\nsource:\n  repoUrl: https://github.com/demo/hello-app\n  auth: {token: abc}\npollInterval: 5 minutes\n' \
	  | $(BIN_RELEASE) validate -

# Benchmarks: each prints medians and a ratio against a peer measured in the same run.
bench: bench-validate bench-git bench-static

bench-validate: release
	.build/release/zg-bench validate

bench-git: release deps-test
	.build/release/zg-bench git

bench-static: release deps-test
	.build/release/zg-bench static

clean:
	rm -rf .build
