# The one home of the project's commands.
#   make book    build the book, every chapter executed, into _build/html (a clean build)
#   make rebuild the same, reusing the execution cache (chapters re-run when they or the package change)
#   make test    run every test (one of them builds the whole book too)
#   make budget run each chapter in a fresh kernel with one thread: wall time and peak memory
#   make bench   time an epoch of every implementation side by side; fails if a speed floor is missed
#   make student build the student edition (no solutions) into _build/student/_build/html
#   make handouts write one notebook per chapter, without solutions, into handouts/
#   make clean   remove the build output (and with it the execution cache) and the handouts
# Both book and test create the virtual environment from requirements.txt first, if needed.
# VENV=/path/to/venv uses another environment (it is created there only if it has no python).

VENV ?= .venv
PY = $(VENV)/bin/python
STAMP = $(VENV)/.installed
BUILD = _build

# The static build and the tests show no progress bars.
export NNSCRATCH_PROGRESS := 0

# MNIST: when no copy is named, use the one beside the repository if it is there; with neither,
# the loader downloads MNIST (and verifies it) as it does for a reader.
ifeq ($(origin NNSCRATCH_DATA),undefined)
ifneq ($(wildcard ../shared/data/mnist.npz),)
NNSCRATCH_DATA := ../shared/data
endif
endif
# Chapters execute with book/ as their working directory: hand them an absolute path.
ifneq ($(strip $(NNSCRATCH_DATA)),)
override NNSCRATCH_DATA := $(abspath $(NNSCRATCH_DATA))
export NNSCRATCH_DATA
endif

.PHONY: book rebuild test bench budget student handouts clean

book: $(STAMP)
	rm -rf $(BUILD)
	$(VENV)/bin/jupyter-book build . -W -n --keep-going

# The same build without starting from scratch: a chapter re-executes only when its code cells or
# the nnscratch package changed (book/_ext/package_watch.py); otherwise its cached outputs are used.
rebuild: $(STAMP)
	$(VENV)/bin/jupyter-book build . -W -n --keep-going

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m nnscratch.benchmark

# Binder's limits (tools/budget.py): fails if a chapter's kernel peaks above 2 GB.
# ARGS=--write records the table in book/budget.json (the README and the instructors' page show it).
budget: $(STAMP)
	$(PY) tools/budget.py $(ARGS)

# The book without its solutions (tools/editions.py), beside the full edition in _build. It uses
# make book's execution cache, so after a make book no chapter runs again. (make book starts by
# removing _build, the student edition with it: run make student after make book.)
student: $(STAMP)
	$(PY) tools/editions.py student --out $(BUILD)/student --cache $(BUILD)/.jupyter_cache

handouts: $(STAMP)
	rm -rf handouts
	$(PY) tools/editions.py handouts --out handouts

clean:
	rm -rf $(BUILD) handouts

# The environment, rebuilt when requirements.txt or the package's metadata change. The last step
# builds matplotlib's font cache once here: the notice it prints on first use goes to stderr, and
# stderr in a chapter's cell fails the build.
$(STAMP): requirements.txt code/pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements.txt
	MPLBACKEND=Agg $(PY) -c "import matplotlib.pyplot"
	touch $@
