# The one home of the project's commands.
#   make book    build the book, every chapter executed, into _build/html (a clean build)
#   make rebuild the same, reusing the execution cache (chapters re-run when they or the package change)
#   make test    run every test (one of them builds the whole book too)
#   make budget run each chapter in a fresh kernel with one thread: wall time and peak memory
#   make bench   time an epoch of every implementation side by side; fails if a speed floor is missed
#   make pdf     the whole book as one PDF, _build/html/nnscratch.pdf (headless Chromium prints it)
#   make student build the student edition (no solutions) into _build/student/_build/html, and its PDF
#   make handouts write one notebook per chapter, without solutions, into handouts/ (its prose
#                shows the glued numbers: run after make book/rebuild, or chapters execute again)
#                (make student and make handouts take EXERCISES="label ..." for a subset)
#   make assignments  Otter assignments (student notebook + Gradescope autograder zip; the numbers
#                the exercises quote from the build's cache) into
#                assignments/: one per chapter, or EXERCISES="label ..." (NAME=...) or CHAPTERS="..."
#   make grade   grade SUBMISSIONS=folder of notebooks (ASSIGNMENT=assignments/<name>) into
#                grades/: grades.csv and a feedback file per student (TIMEOUT=s, MEMORY=MiB)
#   make clean   remove the build output (and with it the execution cache), handouts, assignments
# Both book and test create the virtual environment from requirements.txt first, if needed.
# VENV=/path/to/venv uses another environment (it is created there only if it has no python).

VENV ?= .venv
PY = $(VENV)/bin/python
STAMP = $(VENV)/.installed
BUILD = _build

# The static build shows no progress bars however it is started: book/_ext/quiet_build.py turns
# them off (NNSCRATCH_PROGRESS=0) in the build's kernels, so nothing here needs to.

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

.PHONY: book rebuild test bench budget pdf student handouts assignments grade clean

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

# The whole book as one PDF (tools/pdf.py): the single-page HTML build, printed by headless Chromium
# into _build/html/nnscratch.pdf, which every page's download menu links. It uses make book's
# execution cache: after a make book no chapter runs again.
pdf: $(STAMP)
	$(PY) tools/pdf.py

# Binder's limits (tools/budget.py): fails if a chapter's kernel peaks above 2 GB.
# ARGS=--write records the table in book/budget.json (the README and the instructors' page show it).
budget: $(STAMP)
	$(PY) tools/budget.py $(ARGS)

# The book without its solutions (tools/editions.py), beside the full edition in _build. It uses
# make book's execution cache, so after a make book no chapter runs again. (make book starts by
# removing _build, the student edition with it: run make student after make book.)
# Its PDF is printed from the same solution-free sources: _build/student/_build/html/nnscratch.pdf.
student: $(STAMP)
	$(PY) tools/editions.py student --out $(BUILD)/student --cache $(BUILD)/.jupyter_cache \
	    --exercises "$(EXERCISES)"
	$(PY) tools/pdf.py --source $(BUILD)/student-src --out $(BUILD)/student

handouts: $(STAMP)
	rm -rf handouts
	$(PY) tools/editions.py handouts --out handouts --exercises "$(EXERCISES)" \
	    --cache $(BUILD)/.jupyter_cache

# Otter assignments (tools/assignments.py) and grading here, without Docker (tools/grade.py).
EXERCISES ?=
CHAPTERS ?=
NAME ?=
SUBMISSIONS ?=
ASSIGNMENT ?=
GRADES ?= grades
TIMEOUT ?= 60
MEMORY ?= 2048

assignments: $(STAMP)
	$(PY) tools/assignments.py --out assignments --exercises "$(EXERCISES)" \
	    --chapters "$(CHAPTERS)" --name "$(NAME)" --cache $(BUILD)/.jupyter_cache

grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "make grade needs SUBMISSIONS=folder (of submitted notebooks)"; exit 2; }
	$(PY) tools/grade.py "$(SUBMISSIONS)" --out "$(GRADES)" --timeout $(TIMEOUT) \
	    --memory $(MEMORY) $(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)")

clean:
	rm -rf $(BUILD) handouts assignments

# The environment, rebuilt when requirements.txt or the package's metadata change. uv (pinned
# here) installs requirements.txt in seconds where pip takes minutes (CI builds a fresh .venv on
# every run); where uv cannot reach an index (it reads no pip.conf), pip installs the same list.
# Binder and readers use plain `pip install -r requirements.txt`. The last step builds
# matplotlib's font cache once here: the notice it prints on first use goes to stderr, and stderr
# in a chapter's cell fails the build.
UV_VERSION = 0.13.8
$(STAMP): requirements.txt code/pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q uv==$(UV_VERSION) \
	  && $(VENV)/bin/uv pip install --python $(PY) -r requirements.txt \
	  || { $(PY) -m pip install --upgrade pip && $(PY) -m pip install -r requirements.txt; }
	MPLBACKEND=Agg $(PY) -c "import matplotlib.pyplot"
	touch $@
