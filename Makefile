# The book's commands. `make book` and `make test` work on a fresh machine from a clean clone:
# both create .venv and install the pinned requirements first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= 2

# The build and the tests run the notebooks with failed exercise checks raising, and without
# progress bars (a bar is a widget, and the book shows no widgets).
export EBM_COURSE_STRICT_CHECKS := 1
export EBM_COURSE_NO_PROGRESS := 1
export PYTHONHASHSEED := 0

# The test and build kernels each use one thread: the chapters' tensors are small, and two
# notebooks run side by side on a 2-core machine.
book unit notebooks browser test: export OMP_NUM_THREADS := 1

.PHONY: install book test lint unit notebooks browser pdf student bench sync clean book-student nbgrader-env

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

install: $(STAMP)

# The execution cache keys on each notebook's code only, so a change to the package or to the
# book's extension clears it (and the built pages): the figures are recomputed with the new code.
CODE_HASH = $(shell cat ebm_course/*.py ebm_course/*/*.py _ext/*.py _static/* | sha256sum | cut -c1-16)

## Build the HTML book into _build/html (warnings are errors).
book: $(STAMP)
	@if [ "$$(cat _build/.code-hash 2>/dev/null)" != "$(CODE_HASH)" ]; then \
		echo "package or extension changed: clearing the execution cache"; \
		rm -rf _build/.jupyter_cache _build/.doctrees _build/html; fi
	$(BIN)/jupyter-book build . --warningiserror --keep-going --builder html
	@echo "$(CODE_HASH)" > _build/.code-hash

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Unit, property and notebook-structure tests.
unit: $(STAMP)
	$(BIN)/pytest -m "not browser and not slow" -n $(JOBS) --dist loadfile tests

## Every notebook of both languages, run once (tests/test_notebooks_isolated.py): from an empty folder with
## the network cut, cell by cell; then, in the same kernel, its explorers after Run all and its student cells.
## (loadgroup: the tests of one notebook share its run, on one worker.)
notebooks: $(STAMP)
	$(BIN)/pytest -m slow -n $(JOBS) --dist loadgroup tests

## Browser tests on the built book (headless Chromium).
browser: $(STAMP)
	$(BIN)/pytest -m browser tests/browser

## The built book as two PDFs, _build/pdf/ebm-course-ko.pdf and -en.pdf (run `make book` first).
pdf: $(STAMP)
	$(BIN)/python -m ebm_course.pdf --html _build/html --out _build/pdf

## Everything: lint, unit, notebooks, the book (both editions), the browser.
test: lint unit notebooks book book-student browser

## The student edition of the book into _build/html-student: the built book with the solution code
## taken out (nothing runs again).
book-student: book
	$(BIN)/python -m ebm_course.student_book _build/html _build/html-student

## nbgrader in its own environment (it pins its own Jupyter stack), for tests/test_nbgrader.py.
NBGRADER_VENV := _build/nbgrader-venv
$(NBGRADER_VENV)/.installed-stamp:
	test -x $(NBGRADER_VENV)/bin/python || $(PYTHON) -m venv $(NBGRADER_VENV)
	$(NBGRADER_VENV)/bin/python -m pip install --quiet nbgrader==0.9.6
	touch $@

nbgrader-env: $(NBGRADER_VENV)/.installed-stamp

## Student notebooks (solutions removed) into _build/student, and one zip per language.
student: $(STAMP)
	$(BIN)/python -m ebm_course.student notebooks _build/student

## Timings and quality measurements (not pass/fail tests); writes benchmarks/results.json.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

## Rewrite the notebooks' Colab links and install cells from the repository URL in _config.yml.
sync: $(STAMP)
	$(BIN)/python -m ebm_course.sync

clean:
	rm -rf _build
