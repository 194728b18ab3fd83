# Every task of the Aether monorepo. CI calls these same targets (.ci/run).
# `make` alone lists them. uv is used when on PATH; otherwise it is installed into .tools/.

SHELL := bash
.DEFAULT_GOAL := help
.SHELLFLAGS := -eu -o pipefail -c

TOOLS := $(CURDIR)/.tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/uv-bin/uv)
# A uv bootstrapped here is on PATH for every recipe, so generated projects (make demo, the
# template tests) use it too instead of installing their own.
export PATH := $(TOOLS)/uv-bin:$(PATH)
# uv never downloads interpreters here: it uses the machine's python3 (>= 3.10).
export UV_PYTHON_DOWNLOADS ?= never
export UV_PYTHON ?= python3
# Compile .pyc at install time: start-up stays fast even where PYTHONDONTWRITEBYTECODE is set.
export UV_COMPILE_BYTECODE ?= 1
RUN := $(UV) run --frozen
# Tests run with bytecode written, as on a user's machine: PYTHONDONTWRITEBYTECODE (set on
# some machines, this one included) hides every stale-.pyc bug.
TEST_ENV := env -u PYTHONDONTWRITEBYTECODE

.PHONY: help install lint format test test-fast bench docs docs-serve demo clean viewer vsix

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(TOOLS)/uv-bin/uv:
	@echo "uv not found on PATH: installing it into .tools/ (python3 -m venv + pip)"
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv
	@mkdir -p $(TOOLS)/uv-bin && ln -sf ../bin/uv $(TOOLS)/uv-bin/uv && ln -sf ../bin/uvx $(TOOLS)/uv-bin/uvx

.venv/.installed: $(UV) pyproject.toml aether-runtime/pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch $@

install: .venv/.installed ## Create .venv with the runtime (editable) and the dev tools

lint: install ## Ruff lint and format check, mypy, import-linter layer contracts, conflict markers
	$(RUN) python scripts/check_conflict_markers.py
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) lint-imports

format: install ## Format and auto-fix with ruff
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

test: install ## Run every test: the VS Code extension, runtime, template (slow ones included)
	@# The extension first: its build (out/) is what the webview's browser test loads. Its
	@# tests need Node.js: without it they are skipped with the reason, except under .ci/run
	@# (AETHER_NO_SKIP=1), where a skipped lane fails the run. npm ci only on a clean clone.
	@if command -v node >/dev/null 2>&1; then cd vscode-aether && \
	  { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm test; \
	elif [ "$$AETHER_NO_SKIP" = 1 ]; then echo "vscode-aether tests: Node.js is missing" >&2; exit 1; \
	else echo "SKIPPED vscode-aether tests: Node.js is not installed (apt-get install nodejs npm)"; fi
	$(TEST_ENV) $(RUN) pytest

test-fast: install ## Run the tests that are not marked slow
	$(TEST_ENV) $(RUN) pytest -m "not slow"

bench: install ## Run the benchmarks and rewrite docs/benchmarks.md
	$(RUN) python benchmarks/run.py

vsix: ## Build the VS Code extension (vscode-aether/aether.vsix) offline from its lockfile
	cd vscode-aether && npm ci --no-audit --no-fund && npm run package

viewer: ## Rebuild the DAG viewer bundle (aether/insight/viewer.js) from viewer/ (npm ci)
	cd viewer && npm ci --no-audit --no-fund && npm run build

docs: install ## Build the documentation site strictly (into site/)
	NO_MKDOCS_2_WARNING=1 $(RUN) mkdocs build --strict

docs-serve: install ## Serve the documentation with live reload
	$(RUN) mkdocs serve

DEMO_DIR := demo/orders-demo

demo: install ## Generate a project from the template into demo/, install it, run its pipeline
	@rm -rf $(DEMO_DIR)
	$(RUN) copier copy --quiet --defaults --vcs-ref HEAD \
		--data project_name="Orders Demo" \
		--data aether_runtime_path="$(CURDIR)/aether-runtime" \
		. $(CURDIR)/$(DEMO_DIR)
	env -u VIRTUAL_ENV -u UV_COMPILE_BYTECODE $(MAKE) --no-print-directory -C $(DEMO_DIR) UV="$(UV)" install run viz
	@echo
	@echo "Generated project: $(DEMO_DIR)  (cd $(DEMO_DIR) && make help)"
	@echo "Produced:"
	@cd $(DEMO_DIR) && find data -type f ! -path 'data/01_raw/*' ! -name '.gitkeep' ! -name 'README.md' | sort | sed 's/^/  /'
	@echo "DAG page: $(DEMO_DIR)/data/08_reporting/dag.html (open it in a browser)"

clean: ## Remove build outputs, caches and the demo
	rm -rf demo site .bench .pytest_cache .ruff_cache .mypy_cache .import_linter_cache dist
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
