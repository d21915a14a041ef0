// bench.cc: a small Google Benchmark suite for benchgate's examples and its real-noise test.
//
// Eight CPU-bound benchmarks of different sizes and kinds (sorting, hashing, recursion, memory
// copies, a tree map, table lookups in a chain, and a chain of multiply-adds in registers: the
// quietest from run to run, since it touches no memory and predicts every branch).
// BG_WORK_PERCENT (default 100) scales the work of every benchmark at compile time: each
// iteration repeats its kernel 100 * BG_WORK_PERCENT / 100 times, so -DBG_WORK_PERCENT=110 is
// a real 10 % slowdown of every benchmark, and BG_PCT_SORT, BG_PCT_HASH, BG_PCT_FIB,
// BG_PCT_MEMCPY, BG_PCT_MAP, BG_PCT_TABLE or BG_PCT_LCG (default BG_WORK_PERCENT) scale one
// benchmark alone: -DBG_PCT_LCG=103 is a real 3 % slowdown of BM_Lcg/1024
// (tests/quality/real_noise.sh uses both).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

#ifndef BG_WORK_PERCENT
#define BG_WORK_PERCENT 100
#endif

#ifndef BG_PCT_SORT
#define BG_PCT_SORT BG_WORK_PERCENT
#endif
#ifndef BG_PCT_HASH
#define BG_PCT_HASH BG_WORK_PERCENT
#endif
#ifndef BG_PCT_FIB
#define BG_PCT_FIB BG_WORK_PERCENT
#endif
#ifndef BG_PCT_MEMCPY
#define BG_PCT_MEMCPY BG_WORK_PERCENT
#endif
#ifndef BG_PCT_MAP
#define BG_PCT_MAP BG_WORK_PERCENT
#endif
#ifndef BG_PCT_TABLE
#define BG_PCT_TABLE BG_WORK_PERCENT
#endif
#ifndef BG_PCT_LCG
#define BG_PCT_LCG BG_WORK_PERCENT
#endif

// Kernel repetitions per iteration: 100 at 100 %, so one percent is one repetition.
static constexpr int reps(int percent) { return percent; }

static std::vector<uint32_t> random_values(size_t n) {
  std::vector<uint32_t> v(n);
  uint64_t s = 88172645463325252ULL;
  for (auto &x : v) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    x = static_cast<uint32_t>(s);
  }
  return v;
}

static void BM_Sort(benchmark::State &state) {
  const auto input = random_values(static_cast<size_t>(state.range(0)));
  std::vector<uint32_t> v;
  for (auto _ : state) {
    for (int r = 0; r < reps(BG_PCT_SORT); r++) {
      v = input;
      std::sort(v.begin(), v.end());
      benchmark::DoNotOptimize(v.data());
    }
  }
}
BENCHMARK(BM_Sort)->Arg(1 << 10)->Arg(1 << 14);

static void BM_Hash(benchmark::State &state) {
  const auto input = random_values(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    for (int r = 0; r < reps(BG_PCT_HASH); r++) {
      uint32_t h = 2166136261u;
      for (uint32_t x : input)
        h = (h ^ x) * 16777619u;
      benchmark::DoNotOptimize(h);
    }
  }
}
BENCHMARK(BM_Hash)->Arg(1 << 12);

static int fib(int n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static void BM_Fib(benchmark::State &state) {
  for (auto _ : state)
    for (int r = 0; r < reps(BG_PCT_FIB); r++)
      benchmark::DoNotOptimize(fib(static_cast<int>(state.range(0))));
}
BENCHMARK(BM_Fib)->Arg(18);

static void BM_Memcpy(benchmark::State &state) {
  std::vector<char> a(static_cast<size_t>(state.range(0)), 'x'), b(a.size());
  for (auto _ : state) {
    for (int r = 0; r < reps(BG_PCT_MEMCPY); r++) {
      std::memcpy(b.data(), a.data(), a.size());
      benchmark::ClobberMemory();
    }
  }
}
BENCHMARK(BM_Memcpy)->Arg(1 << 16);

static void BM_MapInsert(benchmark::State &state) {
  const auto input = random_values(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    for (int r = 0; r < reps(BG_PCT_MAP); r++) {
      std::map<uint32_t, uint32_t> m;
      for (uint32_t x : input)
        m[x] = x;
      benchmark::DoNotOptimize(m.size());
    }
  }
}
BENCHMARK(BM_MapInsert)->Arg(1 << 9);

// A hash through a 256-byte table: each lookup's index depends on the one before, so the
// time is the load-to-use latency of the L1 cache.
static void BM_Table(benchmark::State &state) {
  uint8_t table[256];
  for (int i = 0; i < 256; i++)
    table[i] = static_cast<uint8_t>(i * 167 + 13);
  const auto input = random_values(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    for (int r = 0; r < reps(BG_PCT_TABLE); r++) {
      uint32_t h = 0;
      for (uint32_t x : input)
        h = table[(h ^ x) & 255] + (h << 1);
      benchmark::DoNotOptimize(h);
    }
  }
}
BENCHMARK(BM_Table)->Arg(1 << 12);

// A linear congruential generator stepped state.range(0) times per kernel: each step waits for
// the one before (a multiply and an add), so the time is the core's latency alone.
static void BM_Lcg(benchmark::State &state) {
  const int64_t steps = state.range(0);
  for (auto _ : state) {
    for (int r = 0; r < reps(BG_PCT_LCG); r++) {
      uint64_t x = static_cast<uint64_t>(r);
      for (int64_t i = 0; i < steps; i++)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      benchmark::DoNotOptimize(x);
    }
  }
}
BENCHMARK(BM_Lcg)->Arg(1 << 10);

BENCHMARK_MAIN();
