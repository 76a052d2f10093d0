# Moorage: `make run` installs and starts the embedded service, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

CLIENTS := .venv-clients
CLIENTS_STAMP := $(CLIENTS)/.installed

.PHONY: run test lint unit services clients keystone k8s-image browser bench bench-keystone bench-k8s clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

# Magnum's own clients, in a venv of their own (they pin many OpenStack libraries).
$(CLIENTS_STAMP):
	$(PYTHON) -m venv $(CLIENTS)
	$(CLIENTS)/bin/pip install -q --upgrade pip
	$(CLIENTS)/bin/pip install -q python-openstackclient python-magnumclient
	touch $(CLIENTS_STAMP)

clients: $(CLIENTS_STAMP)

# Keystone in .venv-keystone for tests/real/test_keystone.py (which starts its own).
keystone:
	scripts/setup-keystone.sh install

# The Kubernetes node images: the next version, which the upgrade test moves a cluster
# to, then the default (its kubectl, installed last, is the one in $(BIN)). Cold this compiles
# Kubernetes, etcd, CoreDNS and flanneld from their Go modules (about 30 minutes on two
# busy cores); every finished stage is cached in /var/cache/moorage, so a second run
# returns in seconds.
k8s-image: $(STAMP)
	scripts/setup-docker.sh
	nice -n 10 $(BIN)/moorage image build --coe kubernetes --kube-tag v1.35.8
	nice -n 10 $(BIN)/moorage image build --coe kubernetes

run: $(STAMP) k8s-image
	scripts/setup-docker.sh
	$(BIN)/moorage image build
	$(BIN)/moorage serve

services:
	scripts/setup-services.sh

# Debian's Chromium and chromedriver for the dashboard's browser tests (tests/dashboard/).
browser:
	scripts/setup-browser.sh

lint: $(STAMP)
	$(BIN)/ruff check moorage tests benchmarks
	$(BIN)/ruff format --check moorage tests benchmarks
	$(BIN)/mypy moorage

test: $(STAMP) $(CLIENTS_STAMP) services keystone browser lint k8s-image
	$(BIN)/pytest -q -p no:cacheprovider

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit tests/api

bench: $(STAMP) services
	$(BIN)/python benchmarks/api.py --mode distributed

# list/show with Keystone token validation, with and without the token cache.
bench-keystone: $(STAMP) services keystone
	$(BIN)/python benchmarks/api.py --mode distributed --auth keystone --seconds 10

# Kubernetes create/resize/delete and memory by KubernetesDriver (benchmarks/results/kubernetes.md).
bench-k8s: $(STAMP) k8s-image
	nice -n 10 $(BIN)/python benchmarks/kubernetes.py

clean:
	rm -rf $(VENV) $(CLIENTS) .venv-keystone .mypy_cache .ruff_cache .pytest_cache
