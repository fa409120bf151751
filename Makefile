# Thin entry points. The build itself is CMake: see CMakePresets.json and cmake/.
#   make demo | structured-demo | structured-lm-demo | sparse-demo | lm-demo | wd-demo |
#   test | bench
#                                all they need is done first
#                                (DEMO_ARGS=--full, LM_ARGS=--full: the larger runs)
#   make deps                    Debian packages (installs them when run as root)
#   make sanitize                the tests and examples under ASan + UBSan (build/sanitize)
#   make fuzz                    libFuzzer on every input reader, FUZZ_SECONDS (30) each, clang
#   make kokkos                  build Kokkos + Kokkos Kernels into .deps/prefix, once
# Your own Kokkos wins: make test Kokkos_ROOT=/opt/kokkos (or CMAKE_PREFIX_PATH, or
# SMUP_KOKKOS=user|bootstrap|debian to force a source).
# Or build one from its sources (any 3.4 or 4.x) into .deps/<name>, with its own build dir:
#   make test KOKKOS_SOURCE=~/kokkos KOKKOS_KERNELS_SOURCE=~/kokkos-kernels   (OpenMP)
#   make build KOKKOS_SOURCE=... KOKKOS_KERNELS_SOURCE=... KOKKOS_BACKEND=cuda KOKKOS_ARCH=HOPPER90
#   make gpu-bundle KOKKOS_SOURCE=... KOKKOS_KERNELS_SOURCE=...   (CUDA binaries to run elsewhere)
# NATIVE=OFF builds smup's own targets for generic x86-64 instead of -march=native.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test
MAKEFLAGS += --no-print-directory

PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
TEST_JOBS ?= 2
BENCH_THREADS ?= $(shell nproc 2>/dev/null || echo 2)
BENCH_ARGS ?=

DEBIAN_PACKAGES := cmake g++ make catch2 libbenchmark-dev libopenblas-dev zlib1g-dev \
                   libtrilinos-kokkos-dev libtrilinos-kokkos-kernels-dev dataset-fashion-mnist \
                   fortunes python3-numpy libopenmpi-dev openmpi-bin libopenblas0-openmp

CMAKE_ARGS ?=
KOKKOS_BACKEND ?= openmp
KOKKOS_ARCH ?= HOPPER90
KOKKOS_CUBLAS ?= ON
NATIVE ?=
ifneq ($(strip $(KOKKOS_SOURCE)),)
KOKKOS_NAME := $(notdir $(abspath $(KOKKOS_SOURCE)))-$(KOKKOS_BACKEND)$(if $(filter OFF,$(KOKKOS_CUBLAS)),-nocublas)
KOKKOS_PREFIX := $(CURDIR)/.deps/$(KOKKOS_NAME)
BUILD_DIR := build/$(PRESET)-$(KOKKOS_NAME)
CMAKE_ARGS += -B $(BUILD_DIR) -DSMUP_KOKKOS=bootstrap -DSMUP_DEPS_PREFIX=$(KOKKOS_PREFIX)
ifeq ($(KOKKOS_BACKEND),cuda)
# Device code compiles through Kokkos' nvcc_wrapper; the host side stays generic so the
# binaries run on whatever CPU drives the GPU.
CMAKE_ARGS += -DCMAKE_CXX_COMPILER=$(KOKKOS_PREFIX)/bin/nvcc_wrapper
NATIVE := $(or $(NATIVE),OFF)
endif
endif
ifneq ($(strip $(NATIVE)),)
CMAKE_ARGS += -DSMUP_NATIVE_ARCH=$(NATIVE)
endif
ifneq ($(strip $(Kokkos_ROOT)),)
CMAKE_ARGS += -DKokkos_ROOT=$(Kokkos_ROOT)
endif
ifneq ($(strip $(SMUP_KOKKOS)),)
CMAKE_ARGS += -DSMUP_KOKKOS=$(SMUP_KOKKOS)
endif

.PHONY: deps kokkos configure build demo structured-demo structured-lm-demo sparse-demo lm-demo wd-demo test no-device-tests sanitize fuzz bench gpu-bundle clean \
        distclean

deps:
	@if ! command -v dpkg-query >/dev/null; then \
	  echo "make deps: not a Debian system; make sure these (or equivalents) are installed:"; \
	  echo "  $(DEBIAN_PACKAGES)"; exit 0; \
	fi; \
	missing=""; \
	for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "make deps: Debian packages present"; exit 0; fi; \
	if [ "$$(id -u)" -eq 0 ]; then \
	  echo "make deps: installing$$missing"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	else \
	  echo "make deps: missing Debian packages; install them with:"; \
	  echo "  sudo apt-get install$$missing"; \
	  exit 1; \
	fi

# Skipped when the user brings a Kokkos: it would take precedence anyway.
kokkos:
	@if [ -n "$(KOKKOS_SOURCE)" ]; then \
	  KOKKOS_SOURCE="$(KOKKOS_SOURCE)" KOKKOS_KERNELS_SOURCE="$(KOKKOS_KERNELS_SOURCE)" \
	  SMUP_KOKKOS_BACKEND=$(KOKKOS_BACKEND) SMUP_KOKKOS_ARCH=$(KOKKOS_ARCH) \
	  SMUP_KOKKOS_CUBLAS=$(KOKKOS_CUBLAS) \
	  SMUP_DEPS_PREFIX="$(KOKKOS_PREFIX)" ./cmake/bootstrap-kokkos.sh; \
	elif [ -n "$(Kokkos_ROOT)" ]; then \
	  echo "make kokkos: using Kokkos_ROOT=$(Kokkos_ROOT); nothing to bootstrap"; \
	elif [ "$(SMUP_KOKKOS)" = user ] || [ "$(SMUP_KOKKOS)" = debian ]; then \
	  echo "make kokkos: SMUP_KOKKOS=$(SMUP_KOKKOS); nothing to bootstrap"; \
	else \
	  found=""; \
	  IFS=: read -ra prefixes <<<"$${CMAKE_PREFIX_PATH:-}"; \
	  for p in "$${prefixes[@]}"; do \
	    [ -n "$$p" ] || continue; \
	    for c in "$$p"/lib*/cmake/Kokkos "$$p"/lib/*/cmake/Kokkos "$$p"/share/cmake/Kokkos \
	             "$$p"/cmake/Kokkos "$$p"; do \
	      if [ -f "$$c/KokkosConfig.cmake" ] || [ -f "$$c/kokkos-config.cmake" ]; then found="$$c"; break 2; fi; \
	    done; \
	  done; \
	  if [ -n "$$found" ]; then \
	    echo "make kokkos: CMAKE_PREFIX_PATH has a Kokkos ($$found); nothing to bootstrap"; \
	  else \
	    ./cmake/bootstrap-kokkos.sh; \
	  fi; \
	fi

configure: deps kokkos
	cmake --preset $(PRESET) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD_DIR) --parallel $(JOBS)

# The muTransfer demo on Fashion-MNIST into demo-results/ (DEMO_ARGS=--full: the larger
# sweep). OpenBLAS stays single-threaded: its own threads would fight Kokkos' OpenMP
# threads for the cores (the whole sweep runs about 2x slower).
DEMO_ARGS ?=
demo: build
	OMP_NUM_THREADS=$(JOBS) OMP_PROC_BIND=false OPENBLAS_NUM_THREADS=1 \
	  ./$(BUILD_DIR)/examples/example_01_mutransfer --out demo-results $(DEMO_ARGS)

# Whether the LR transfer holds for N:M and block sparsity too, beside unstructured
# (examples/06_structured_transfer), into structured-results/ (DEMO_ARGS as for demo).
structured-demo: build
	OMP_NUM_THREADS=$(JOBS) OMP_PROC_BIND=false OPENBLAS_NUM_THREADS=1 \
	  ./$(BUILD_DIR)/examples/example_06_structured_transfer --out structured-results $(DEMO_ARGS)

# The same with the byte-level GPT into structured-results/gpt/ (LM_ARGS=--full).
structured-lm-demo: build
	OMP_NUM_THREADS=$(JOBS) OMP_PROC_BIND=false OPENBLAS_NUM_THREADS=1 \
	  ./$(BUILD_DIR)/examples/example_06_structured_transfer --model gpt \
	  --out structured-results/gpt $(LM_ARGS)

# At equal hidden-matrix FLOPs, with the LR tuned on the dense model and transferred by
# SmuP, does a wider sparse GPT or MLP beat the dense one (examples/07_equal_compute)?
# Into sparse-results/ (DEMO_ARGS as for demo: --full, or --model gpt|mlp).
sparse-demo: build
	OMP_NUM_THREADS=$(JOBS) OMP_PROC_BIND=false OPENBLAS_NUM_THREADS=1 \
	  ./$(BUILD_DIR)/examples/example_07_equal_compute --out sparse-results $(DEMO_ARGS)

# The GPT experiments on Debian's fortunes into lm-results/: the coordinate check across
# density, the LR transfer across density and the loss at high sparsity with dense-tuned
# HPs; report.md gathers their figures and tables (LM_ARGS=--full: the larger runs;
# LM_ARGS=--tied-readout: the readout tied to the embedding, into lm-results/tied-readout/).
LM_ARGS ?=
LM_OUT := $(if $(findstring --tied-readout,$(LM_ARGS)),lm-results/tied-readout,lm-results)
LM_ENV := OMP_NUM_THREADS=$(JOBS) OMP_PROC_BIND=false OPENBLAS_NUM_THREADS=1
lm-demo: build
	$(LM_ENV) ./$(BUILD_DIR)/examples/example_02_lm_coord_check --out $(LM_OUT) $(LM_ARGS)
	$(LM_ENV) ./$(BUILD_DIR)/examples/example_03_lm_lr_transfer --out $(LM_OUT) $(LM_ARGS)
	$(LM_ENV) ./$(BUILD_DIR)/examples/example_04_lm_sparse_loss --out $(LM_OUT) $(LM_ARGS)
	{ printf '# GPT experiments\n\n![coordinate check](coord_check_density.svg)\n\n'; \
	  sed 's/^# /## /' $(LM_OUT)/coord_check.md; \
	  printf '\n![LR transfer](transfer.svg)\n\n'; \
	  sed 's/^# /## /' $(LM_OUT)/transfer.md; \
	  printf '\n![loss at high sparsity](sparse_loss.svg)\n\n'; \
	  sed 's/^# /## /' $(LM_OUT)/sparse_loss.md; } > $(LM_OUT)/report.md
	@echo "make lm-demo: $(LM_OUT)/report.md"

# Which AdamW weight-decay policy keeps the optimal weight decay in place across width
# and density (docs/weight_decay.md), into wd-results/.
WD_ARGS ?=
wd-demo: build
	OMP_NUM_THREADS=$(JOBS) OMP_PROC_BIND=false OPENBLAS_NUM_THREADS=1 \
	  ./$(BUILD_DIR)/examples/example_05_weight_decay --out wd-results $(WD_ARGS)

# Two test processes of two OpenMP threads share the cores: threads that spin at every
# barrier while their partner is descheduled make kernel-heavy tests 100x slower, so the
# threads wait passively (OMP_WAIT_POLICY).
test: $(if $(filter cuda,$(KOKKOS_BACKEND)),no-device-tests,build)
	cd $(BUILD_DIR) && OMP_NUM_THREADS=2 OMP_PROC_BIND=false OMP_WAIT_POLICY=passive \
	  ctest --output-on-failure --no-tests=error -j$(TEST_JOBS)

# libFuzzer on every reader of untrusted input (tests/fuzz), FUZZ_SECONDS each, built with
# clang and ASan + UBSan in build/fuzz (Debian: clang-14 libclang-rt-14-dev, installed when
# run as root). Each target starts from a scratch copy of its seeds, never the repository's
# folders; a crash, sanitizer report, leak or timeout fails. Findings: build/fuzz/runs/.
FUZZ_SECONDS ?= 30
FUZZ_SEED ?=
FUZZ_CXX ?= clang++-14
FUZZ_PACKAGES := clang-14 libclang-rt-14-dev
FUZZ_DIR := build/fuzz
fuzz: deps
	@probe=$$(mktemp -d); \
	echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' \
	  > "$$probe/probe.cpp"; \
	if ! $(FUZZ_CXX) -fsanitize=fuzzer "$$probe/probe.cpp" -o "$$probe/probe" 2>/dev/null; then \
	  if [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then \
	    echo "make fuzz: installing $(FUZZ_PACKAGES)"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $(FUZZ_PACKAGES); \
	  else \
	    echo "make fuzz: $(FUZZ_CXX) with libFuzzer is missing; install it with:"; \
	    echo "  sudo apt-get install $(FUZZ_PACKAGES)   (or pass FUZZ_CXX=<a clang++>)"; \
	    rm -rf "$$probe"; exit 1; \
	  fi; \
	fi; \
	rm -rf "$$probe"
	cmake -S . -B $(FUZZ_DIR) -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSMUP_BUILD_FUZZERS=ON -DSMUP_BUILD_TESTS=OFF -DSMUP_BUILD_EXAMPLES=OFF \
	  -DSMUP_BUILD_BENCHMARKS=OFF -DSMUP_INSTALL=OFF -DSMUP_ENABLE_MPI=OFF
	cmake --build $(FUZZ_DIR) --parallel $(JOBS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SEED=$(FUZZ_SEED) tests/fuzz/run-fuzzers.sh $(FUZZ_DIR)/tests/fuzz $(FUZZ_DIR)/runs

# The whole suite built with AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer
# included; -fno-sanitize-recover: the first report fails its test) in build/sanitize:
# the runtime tests, every example's runs (--smoke sweeps, faults), determinism, the fuzz
# corpora. Takes the same Kokkos options as make test.
sanitize:
	$(MAKE) test PRESET=sanitize

no-device-tests:
	@echo "make test: CUDA tests run on a GPU; make build compiles them, make gpu-bundle packs them"
	@exit 2

# CUDA binaries of every test, example and benchmark, stripped, with libcudart and a
# script that runs them, in gpu-bundle/ (for a GPU machine without our toolchain).
# Without cuBLAS, whose libraries would make the bundle ten times larger.
gpu-bundle:
	@[ -n "$(KOKKOS_SOURCE)" ] || { echo "make gpu-bundle: set KOKKOS_SOURCE and KOKKOS_KERNELS_SOURCE (Kokkos 4.x)"; exit 2; }
	$(MAKE) build KOKKOS_BACKEND=cuda KOKKOS_CUBLAS=OFF
	./bench/gpu-bundle.sh build/$(PRESET)-$(notdir $(abspath $(KOKKOS_SOURCE)))-cuda-nocublas gpu-bundle

# The OPENBLAS_* overrides some environments export force a slower kernel; unset them
# for our run only. The JSON records the kernel and the environment used.
# The suite runs with 1 thread (kernel efficiency), then with BENCH_THREADS (scaling);
# both runs append to kernels.csv, models.csv and machine.csv, then every CSV prints as a
# table and bench/summary.sh writes the README tables to summary.md. smup_gpt_profile
# then splits the GPT step by phase (gpt_profile-<threads>t.md).
bench: configure
	cmake --build $(BUILD_DIR) --target smup_bench smup_gpt_profile --parallel $(JOBS)
	mkdir -p bench-results
	rm -f bench-results/kernels.csv bench-results/models.csv bench-results/machine.csv \
	  bench-results/memory.csv
	stamp=$$(date +%Y%m%d-%H%M%S); \
	for threads in $(sort 1 $(BENCH_THREADS)); do \
	  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
	    OMP_NUM_THREADS=$$threads OPENBLAS_NUM_THREADS=$$threads OMP_PROC_BIND=false \
	    ./$(BUILD_DIR)/bench/smup_bench --smup_csv_dir=bench-results \
	    --benchmark_out=bench-results/smup_bench-$$stamp-$${threads}t.json \
	    --benchmark_out_format=json $(BENCH_ARGS); \
	done
	./bench/print-table.sh bench-results/machine.csv bench-results/kernels.csv \
	  bench-results/models.csv bench-results/memory.csv
	./bench/summary.sh bench-results | tee bench-results/summary.md
	for threads in $(sort 1 $(BENCH_THREADS)); do \
	  OMP_NUM_THREADS=$$threads OMP_PROC_BIND=false \
	    ./$(BUILD_DIR)/bench/smup_gpt_profile --csv bench-results/gpt_profile-$${threads}t.csv \
	    | tee bench-results/gpt_profile-$${threads}t.md; \
	done

clean:
	rm -rf build

distclean: clean
	rm -rf .deps
