# Thin wrapper around CMake: deps, build, run, test, bench, quality, fuzz.
BUILD      ?= build
BUILD_SAN  ?= build-asan
BUILD_TSAN ?= build-tsan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all deps build install run test test-fast test-san test-tsan test-fuzz bench quality fuzz clean format

all: build

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# make install [PREFIX=/usr/local] [DESTDIR=/staging]: the programs to PREFIX/bin, the man
# pages to PREFIX/share/man/man1, the dashboard to PREFIX/share/benchgate/web.
PREFIX ?= /usr/local
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

run: build
	scripts/demo.sh $(BUILD)

# Every test: unit and integration on the normal build, then again under ASan and UBSan,
# after a short libFuzzer run of every fuzz target (FUZZ_SECONDS each), and the tests that
# drive the server's threads under ThreadSanitizer.
FUZZ_SECONDS ?= 10
test: test-fuzz test-fast test-san test-tsan

test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L 'unit|integration'

test-san: deps
	cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DBG_SANITIZE=ON $(CMAKE_ARGS)
	cmake --build $(BUILD_SAN) -j $(JOBS)
	cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -L 'unit|integration'

# The tests that drive threads (tests/tsan/run.sh lists them) under ThreadSanitizer, in
# $(BUILD_TSAN); any report fails it. TSAN_TESTS=all: every unit and integration test.
TSAN_TESTS ?=
test-tsan: deps
	BG_TSAN_BUILD=$(BUILD_TSAN) JOBS=$(JOBS) tests/tsan/run.sh $(TSAN_TESTS)

bench: build
	cd $(BUILD) && ctest --output-on-failure -L perf -V

quality: build
	cd $(BUILD) && ctest --output-on-failure -L quality -V

test-fuzz: deps
	tests/fuzz/run.sh $(FUZZ_SECONDS)

# make fuzz FUZZ_SECONDS=600: as long as asked; crashes land in build-fuzz/crashes/.
fuzz: deps
	tests/fuzz/run.sh $(FUZZ_SECONDS)

format:
	clang-format -i lib/*.[ch] server/*.[ch] agent/*.[ch] tests/unit/*.c

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_TSAN) build-fuzz
