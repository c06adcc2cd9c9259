# The workbook's two commands: `make run` (the whole workbook, headless) and `make test`.
VENV := .venv/bin

.PHONY: run test env system-deps test-deps grade-deps lint format answer-key clean-notebooks

run: env system-deps
	$(VENV)/workbook data
	$(VENV)/workbook run all $(ARGS)

test: env system-deps test-deps
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/workbook solutions check
	$(VENV)/python -m pytest $(ARGS)

env:
	@bash scripts/setup_env.sh

system-deps:
	@bash scripts/install_system_deps.sh

test-deps:
	@bash scripts/install_system_deps.sh --test

grade-deps:
	@bash scripts/install_system_deps.sh --grade

lint:
	$(VENV)/ruff check . && $(VENV)/ruff format --check .

format:
	$(VENV)/ruff check --fix . && $(VENV)/ruff format .

answer-key: env system-deps
	$(VENV)/workbook report --source

clean-notebooks:
	$(VENV)/python -m workbook.nbclean notebooks/*/*.ipynb
