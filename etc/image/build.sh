#!/bin/sh
# Builds the container image offline with buildah: FROM scratch, the binary and the shared
# libraries it (and openssl, for auth.caFile checks) loads, the host's CA certificates,
# busybox for the health check, a non-root user. No registry or network is used.
#   build.sh BINARY IMAGE_NAME VERSION
set -eu
binary=$1 name=$2 version=$3
uid=10001
export BUILDAH_FORMAT=docker  # HEALTHCHECK exists in the docker format only
ctr=$(buildah from scratch)
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
root=$(buildah mount "$ctr")

install -D -m 0755 "$binary" "$root/usr/bin/zerverless-gitops"
install -D -m 0755 "$(command -v openssl)" "$root/usr/bin/openssl"
install -D -m 0755 /bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
# Every shared library the two dynamic programs load, at the path the loader expects.
for lib in $( (ldd "$binary"; ldd "$(command -v openssl)") | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | sort -u); do
    install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
done
# TLS trust for https repositories and targets (what ca-certificates installs on Debian).
mkdir -p "$root/etc/ssl" && cp -a /etc/ssl/certs "$root/etc/ssl/certs"
[ -f /usr/lib/ssl/openssl.cnf ] && install -D -m 0644 /usr/lib/ssl/openssl.cnf "$root/usr/lib/ssl/openssl.cnf"
printf 'root:x:0:0:root:/root:/bin/sh\nzerverless:x:%s:%s:zerverless-gitops:/var/lib/zerverless-gitops:/bin/sh\n' $uid $uid >"$root/etc/passwd"
printf 'root:x:0:\nzerverless:x:%s:\n' $uid >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
install -d -m 1777 "$root/tmp"
install -d -m 0755 "$root/etc/zerverless" "$root/etc/zerverless/apps.d"
install -d -m 0700 -o $uid -g $uid "$root/etc/zerverless/secrets" "$root/var/lib/zerverless-gitops"
install -D -m 0644 etc/zerverless/apps.d/hello-app.yaml.sample "$root/usr/share/zerverless-gitops/hello-app.yaml.sample"
buildah unmount "$ctr" >/dev/null

buildah config \
    --user $uid:$uid \
    --workingdir /var/lib/zerverless-gitops \
    --env ZG_LISTEN=0.0.0.0:8090 \
    --env HOME=/var/lib/zerverless-gitops \
    --entrypoint '["/usr/bin/zerverless-gitops"]' --cmd '["run"]' \
    --volume /etc/zerverless/apps.d --volume /var/lib/zerverless-gitops \
    --port 8090 \
    --healthcheck 'CMD ["/bin/busybox", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8090/healthz"]' \
    --healthcheck-interval 30s --healthcheck-timeout 5s --healthcheck-retries 3 \
    --label org.opencontainers.image.title=zerverless-gitops \
    --label org.opencontainers.image.version="$version" \
    --label org.opencontainers.image.description="pull-based deployment agent of Zerverless" \
    "$ctr"
buildah commit --quiet --format docker --rm "$ctr" "$name:$version" >/dev/null
trap - EXIT
buildah tag "$name:$version" "$name:latest"
echo "$name:$version ($(buildah inspect --format '{{.Docker.Size}}' "$name:$version" 2>/dev/null || true))"
