#!/bin/bash
# The Kubernetes node image, with no registry: the cached bookworm root file system
# (rootfs.sh), kubeadm/kubelet/kubectl, the component images (component-images.sh) in
# /opt/moorage/images, the versions file the driver reads (VERSIONS_ENV, written by
# build.py from the versions table) in /etc/moorage/versions.env, the entrypoint and
# containerd's config; `docker import`ed, then given containerd's store with every
# component image already imported and unpacked (seed_store below) as $NODE_IMAGE.
. "$(dirname "$0")/common.sh"
require K8S_VERSION PAUSE_IMAGE NODE_IMAGE NODE_RECIPE_IMAGE VERSIONS_ENV NODE_CAPS NODE_SECCOMP
HERE=$(cd "$(dirname "$0")/.." && pwd)
BIN=$CACHE/k8s/$K8S_VERSION/bin
R=$(mktemp -d)
BASE=moorage.local/node-unseeded:$$ SEEDER=moorage-seed-$$
cleanup() {
	docker rm -f "$SEEDER" >/dev/null 2>&1 || true
	docker volume rm "$SEEDER" >/dev/null 2>&1 || true
	docker rmi "$BASE" >/dev/null 2>&1 || true
	rm -rf "$R"
}
trap cleanup EXIT
tar -C "$R" -xf "$ROOTFS"
install -D -m 755 "$HERE/node/entrypoint" "$R/usr/local/bin/node-entrypoint"
install -m 755 "$HERE/node/start" "$R/usr/local/bin/node-start"
install -m 755 "$HERE/node/kubelet-loop" "$R/usr/local/bin/kubelet-loop"
mkdir -p "$R/etc/containerd"
sed "s|@PAUSE_IMAGE@|$PAUSE_IMAGE|" "$HERE/node/containerd-config.toml" >"$R/etc/containerd/config.toml"
mkdir -p "$R/etc/cni/net.d" "$R/var/lib/containerd" "$R/var/lib/kubelet" "$R/etc/kubernetes/manifests"
echo 'hosts: files dns' >"$R/etc/nsswitch.conf"
for b in kubeadm kubelet kubectl; do install -m 755 "$BIN/$b" "$R/usr/bin/$b"; done
install -D -m 644 "$CACHE/k8s/$K8S_VERSION/control-plane.tar" "$R/opt/moorage/images/control-plane.tar"
install -m 644 "$CACHE/k8s/$K8S_VERSION/worker.tar" "$R/opt/moorage/images/worker.tar"
install -D -m 644 "$VERSIONS_ENV" "$R/etc/moorage/versions.env"
tar -C "$R" --numeric-owner -c . | docker import \
	--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	--change 'ENTRYPOINT ["/usr/bin/tini", "-g", "--", "/usr/local/bin/node-entrypoint"]' \
	--change 'CMD ["/usr/local/bin/node-start"]' \
	--change 'VOLUME ["/var/lib/containerd"]' \
	--change "LABEL moorage.kubernetes.version=$K8S_VERSION" \
	- "$BASE" >/dev/null

# seed_store: a node made from $BASE under the provider's confinement (NODE_CAPS,
# NODE_SECCOMP: build.py passes the provider's own) imports control-plane.tar (every
# component image; worker.tar's are a subset) into a fresh volume once; the volume's
# files become a layer of the image. A new node's empty volume is then filled by the
# engine copying that directory, about a second, where each node imported the tars
# (6-9 s of a create on two cores). The markers tell the driver both tars are in;
# a node whose store comes from an older image (an upgrade keeps the disk) has no
# marker for this version and imports the tars, which stay in the image for that.
seed_store() {
	local ctx=$R/seed-context i
	# shellcheck disable=SC2086
	docker run -d -t --name "$SEEDER" $NODE_CAPS --security-opt "seccomp=$NODE_SECCOMP" \
		--security-opt apparmor=unconfined --security-opt systempaths=unconfined \
		--cgroupns=private --tmpfs /run --tmpfs /tmp -v "$SEEDER:/var/lib/containerd" \
		"$BASE" >/dev/null
	for i in $(seq 1 60); do
		docker exec "$SEEDER" ctr version >/dev/null 2>&1 && break
		[ "$i" -lt 60 ] || { docker logs "$SEEDER" | tail -20; echo "containerd did not start" >&2; exit 1; }
		sleep 1
	done
	docker exec "$SEEDER" sh -c "ctr -n k8s.io images import /opt/moorage/images/control-plane.tar >/dev/null &&
		touch /var/lib/containerd/.moorage-control-plane-$K8S_VERSION /var/lib/containerd/.moorage-worker-$K8S_VERSION"
	docker stop -t 20 "$SEEDER" >/dev/null
	mkdir -p "$ctx"
	# not the running state nor containerd's instance id: each node makes its own
	docker run --rm -v "$SEEDER:/s:ro" --entrypoint tar "$BASE" -C /s --numeric-owner \
		--exclude=./io.containerd.runtime.v2.task --exclude=./tmpmounts \
		--exclude=./io.containerd.grpc.v1.introspection -c . >"$ctx/store.tar"
	printf 'FROM %s\nADD store.tar /var/lib/containerd/\n' "$BASE" >"$ctx/Dockerfile"
	DOCKER_BUILDKIT=0 docker build -q -t "$NODE_IMAGE" "$ctx" >/dev/null
}
seed_store
# the recipe's tag last: with it the stage is done (stages.py), an older recipe's image is not
docker tag "$NODE_IMAGE" "$NODE_RECIPE_IMAGE"
docker image inspect -f '{{.Id}} {{.Size}}' "$NODE_IMAGE"
