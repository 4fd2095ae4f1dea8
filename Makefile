# ecomap: `make run` builds outputs/ from the bundled data, `make test` runs every test.
# Both create .venv and install what they need on a fresh Debian machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.stamp-install
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint bench sysdeps suitesparse clean

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory suitesparse
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || \
	  ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q python3-venv && $(PYTHON) -m venv $(VENV))
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,mspa]'
	@touch $(STAMP)

# System packages the tests drive: Debian's Chromium for the browser tests and screenshots,
# a CJK font so Chinese labels render in screenshots, GRASS GIS for the r.cost comparison,
# PostgreSQL with PostGIS for the database store (tests start a throw-away cluster), and
# QGIS with its Python bindings, run headless to open the GeoPackage and GeoTIFF styles.
APT := $(SUDO) apt-get -o DPkg::Lock::Timeout=600
sysdeps: suitesparse
	@command -v chromium >/dev/null && command -v grass >/dev/null && \
	  fc-list 2>/dev/null | grep -qi wenquanyi || \
	  ($(APT) update -q && $(APT) install -y -q chromium grass-core fonts-wqy-microhei)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && \
	  ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || \
	  ($(APT) update -q && $(APT) install -y -q postgresql postgis postgresql-postgis)
	@QT_QPA_PLATFORM=offscreen /usr/bin/python3 -c "import qgis.core" 2>/dev/null || \
	  ($(APT) update -q && $(APT) install -y -q qgis python3-qgis)

# SuiteSparse's CHOLMOD headers and library: scikit-sparse (the region rule's supernodal
# Cholesky, ecomap.corridors._regions) builds against them when pip installs it.
suitesparse:
	@test -f /usr/include/suitesparse/cholmod.h || \
	  ($(APT) update -q && $(APT) install -y -q libsuitesparse-dev)

run: $(STAMP)
	$(BIN)/ecomap build --out outputs

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) sysdeps lint
	$(BIN)/python -m pytest -q

bench: $(STAMP) sysdeps
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) outputs .pytest_cache .hypothesis
