#include "cuda/sim/memory_model.h"

#include <cxxabi.h>
#include <link.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>

#include <fmt/format.h>

#include "base/error.h"
#include "cuda/sim/runtime.h"

#if HEATMARK_HAS_MEMORY_MODEL
#include <backtrace.h>
#endif

namespace heatmark::sim {

namespace {

std::atomic<bool> model_on{false};

// ---- the emulated device's allocations -------------------------------------------------

std::shared_mutex allocations_mutex;
// begin -> end. Never destroyed: the emulated device's allocator frees its
// cache at exit, after function-local statics made later than it are gone.
std::map<uintptr_t, uintptr_t>& allocations() {
  static auto* ranges = new std::map<uintptr_t, uintptr_t>;
  return *ranges;
}

bool find_allocation(uintptr_t address, uintptr_t& begin, uintptr_t& end) {
  std::shared_lock lock(allocations_mutex);
  auto it = allocations().upper_bound(address);
  if (it == allocations().begin()) return false;
  --it;
  if (address >= it->second) return false;
  begin = it->first;
  end = it->second;
  return true;
}

// ---- the report --------------------------------------------------------------------------

struct SiteTotals {
  uint64_t requests = 0, transactions = 0, ideal = 0, bytes = 0;
};
struct KernelTotals {
  uint64_t blocks = 0;
  size_t static_shared_bytes = 0;
  std::map<std::pair<uintptr_t, uint8_t>, SiteTotals> sites;
};
std::mutex report_mutex;
std::map<std::string, KernelTotals>& recorded() {
  static std::map<std::string, KernelTotals> kernels;
  return kernels;
}

// The executable's static thread-local block: on x86-64 it ends at the thread
// pointer. The emulator's __shared__ variables (thread_local) live in it.
size_t executable_tls_bytes() {
  static const size_t bytes = [] {
    size_t found = 0;
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void* out) {
          if (info->dlpi_tls_modid != 1) return 0;
          for (int i = 0; i < info->dlpi_phnum; ++i) {
            const ElfW(Phdr)& h = info->dlpi_phdr[i];
            if (h.p_type != PT_TLS) continue;
            const size_t align = h.p_align ? h.p_align : 1;
            // Rounded up, plus one alignment for the block's first-byte offset.
            *static_cast<size_t*>(out) = (h.p_memsz + align - 1) / align * align + align;
          }
          return 1;
        },
        &found);
    return found;
  }();
  return bytes;
}

#if HEATMARK_HAS_MEMORY_MODEL
// file:line and function of an instruction, from the executable's line tables.
struct SourceLine {
  std::string location = "?", function = "?";
};

backtrace_state* line_tables() {
  static backtrace_state* state = backtrace_create_state(nullptr, /*threaded=*/1, nullptr, nullptr);
  return state;
}

std::string demangled(const char* name) {
  if (!name) return "?";
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> text(abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
  return status == 0 && text ? text.get() : name;
}

SourceLine source_line(uintptr_t instruction) {
  SourceLine line;
  // The return address of the callback is the instruction after the call;
  // one byte back is inside the call, on the access's line. The first frame
  // reported is the innermost: the line of an inlined helper, if any.
  backtrace_pcinfo(
      line_tables(), instruction - 1,
      [](void* out, uintptr_t, const char* file, int lineno, const char* function) {
        auto* l = static_cast<SourceLine*>(out);
        if (l->location != "?" || !file) return 0;
        // Paths are relative to the source root (-fdebug-prefix-map).
        std::string_view path = file;
        if (path.starts_with("./")) path.remove_prefix(2);
        l->location = fmt::format("{}:{}", path, lineno);
        l->function = demangled(function);
        return 0;
      },
      [](void*, const char*, int) {}, &line);
  return line;
}
#endif

}  // namespace

bool memory_model_built() { return HEATMARK_HAS_MEMORY_MODEL != 0; }

void set_memory_model(bool on) {
  HM_CHECK(!on || memory_model_built(),
           "the memory model needs a build with the traced kernels (GCC, without sanitizers: HEATMARK_MEMORY_MODEL)");
  model_on = on;
}

bool memory_model_enabled() { return model_on.load(std::memory_order_relaxed); }

void register_allocation(const void* begin, size_t bytes) {
  const auto b = reinterpret_cast<uintptr_t>(begin);
  std::unique_lock lock(allocations_mutex);
  allocations()[b] = b + bytes;
}

void unregister_allocation(const void* begin) {
  std::unique_lock lock(allocations_mutex);
  allocations().erase(reinterpret_cast<uintptr_t>(begin));
}

MemoryLine KernelMemory::total(MemoryLine::Space space, bool store) const {
  MemoryLine t;
  t.space = space;
  t.store = store;
  for (const MemoryLine& l : lines) {
    if (l.space != space || l.store != store) continue;
    t.requests += l.requests;
    t.transactions += l.transactions;
    t.ideal += l.ideal;
    t.bytes += l.bytes;
  }
  return t;
}

uint64_t KernelMemory::global_bytes_moved() const {
  return 32 * (total(MemoryLine::Space::Global, false).transactions + total(MemoryLine::Space::Global, true).transactions);
}

std::vector<KernelMemory> memory_report() {
  std::map<std::string, KernelTotals> kernels;
  {
    std::lock_guard lock(report_mutex);
    kernels = recorded();
  }
  std::vector<KernelMemory> report;
  for (const auto& [name, totals] : kernels) {
    KernelMemory k;
    k.kernel = name;
    k.blocks = totals.blocks;
    k.static_shared_bytes = totals.static_shared_bytes;
    // Instructions of one source line, space and direction are one line.
    std::map<std::tuple<std::string, uint8_t>, MemoryLine> lines;
    for (const auto& [site, t] : totals.sites) {
#if HEATMARK_HAS_MEMORY_MODEL
      const SourceLine where = source_line(site.first);
#else
      const struct { std::string location = "?", function = "?"; } where;
#endif
      MemoryLine& l = lines[{where.location, site.second}];
      l.space = site.second & 2 ? MemoryLine::Space::Shared : MemoryLine::Space::Global;
      l.store = site.second & 1;
      l.location = where.location;
      l.function = where.function;
      l.requests += t.requests;
      l.transactions += t.transactions;
      l.ideal += t.ideal;
      l.bytes += t.bytes;
    }
    for (auto& [key, l] : lines) k.lines.push_back(std::move(l));
    std::stable_sort(k.lines.begin(), k.lines.end(), [](const MemoryLine& a, const MemoryLine& b) {
      return a.transactions - a.ideal > b.transactions - b.ideal;
    });
    report.push_back(std::move(k));
  }
  return report;
}

void reset_memory_report() {
  std::lock_guard lock(report_mutex);
  recorded().clear();
}

KernelMemory memory_of(const std::string& kernel) {
  for (KernelMemory& k : memory_report())
    if (k.kernel == kernel) return k;
  fail("memory model: kernel '{}' was not recorded", kernel);
}

std::string short_kernel_name(const std::string& kernel) {
  std::string name = kernel.starts_with("void ") ? kernel.substr(5) : kernel;
  for (const std::string_view prefix : {"heatmark::emu_traced::", "heatmark::emu::", "heatmark::"})
    for (size_t at; (at = name.find(prefix)) != std::string::npos;) name.erase(at, prefix.size());
  // The parameter list: the first '(' outside template arguments.
  int depth = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '<') ++depth;
    if (name[i] == '>') --depth;
    if (name[i] == '(' && depth == 0) return name.substr(0, i);
  }
  return name;
}

std::string format_memory_report(const std::vector<KernelMemory>& report, int worst_lines) {
  using Space = MemoryLine::Space;
  // "-" where a kernel made no access of that kind.
  auto ratio = [](const MemoryLine& t, bool as_conflict) {
    if (!t.requests) return std::string("-");
    return as_conflict ? fmt::format("{:.2f}x", double(t.transactions) / double(std::max<uint64_t>(1, t.ideal)))
                       : fmt::format("{:.0f}%", 100 * t.efficiency());
  };
  auto per_request = [](const MemoryLine& t) {
    return t.requests ? fmt::format("{:.2f}", t.per_request()) : std::string("-");
  };
  std::string out = fmt::format("{:<48} {:>7} {:>9} {:>6} {:>9} {:>6} {:>9} {:>8} {:>9} {:>8} {:>10}\n", "kernel",
                                "blocks", "ld sec/rq", "ld eff", "st sec/rq", "st eff", "sh ld wf", "conflict",
                                "sh st wf", "conflict", "MB moved");
  for (const KernelMemory& k : report) {
    const MemoryLine gl = k.total(Space::Global, false), gs = k.total(Space::Global, true);
    const MemoryLine sl = k.total(Space::Shared, false), ss = k.total(Space::Shared, true);
    std::string name = short_kernel_name(k.kernel);
    if (name.size() > 48) name = name.substr(0, 45) + "...";
    out += fmt::format("{:<48} {:>7} {:>9} {:>6} {:>9} {:>6} {:>9} {:>8} {:>9} {:>8} {:>10.3f}\n", name, k.blocks,
                       per_request(gl), ratio(gl, false), per_request(gs), ratio(gs, false), per_request(sl),
                       ratio(sl, true), per_request(ss), ratio(ss, true), double(k.global_bytes_moved()) / 1e6);
    int shown = 0;
    for (const MemoryLine& l : k.lines) {
      if (shown == worst_lines || l.transactions == l.ideal) break;
      ++shown;
      const bool shared = l.space == Space::Shared;
      out += fmt::format("    {} {} {}: {} requests, {:.2f} {} per request, {} ({})\n", l.location,
                         shared ? "shared" : "global", l.store ? "store" : "load", l.requests, l.per_request(),
                         shared ? "wavefronts" : "sectors",
                         shared ? fmt::format("{:.2f}x conflict", double(l.transactions) / double(std::max<uint64_t>(1, l.ideal)))
                                : fmt::format("{:.0f}% efficient", 100 * l.efficiency()),
                         short_kernel_name(l.function));
    }
  }
  return out;
}

// ---- recording ------------------------------------------------------------------------------

namespace {
thread_local BlockTrace* active_trace = nullptr;  // non-null while a traced block runs on this OS thread
}

BlockTrace& BlockTrace::for_this_thread() {
  thread_local BlockTrace trace;
  return trace;
}

void BlockTrace::begin(const std::string* kernel, const unsigned char* dynamic_shared, size_t dynamic_bytes) {
  kernel_ = kernel;
  accesses_.clear();
  sites_.clear();
  dynamic_begin_ = reinterpret_cast<uintptr_t>(dynamic_shared);
  dynamic_end_ = dynamic_begin_ + dynamic_bytes;
  tls_end_ = reinterpret_cast<uintptr_t>(__builtin_thread_pointer());
  tls_begin_ = tls_end_ - executable_tls_bytes();
  builtins_[0] = reinterpret_cast<uintptr_t>(&threadIdx);
  builtins_[1] = reinterpret_cast<uintptr_t>(&blockIdx);
  builtins_[2] = reinterpret_cast<uintptr_t>(&blockDim);
  builtins_[3] = reinterpret_cast<uintptr_t>(&gridDim);
  static_shared_min_ = UINTPTR_MAX;
  static_shared_max_ = 0;
  cached_begin_ = cached_end_ = 0;  // an allocation may have been freed since the last block
  active_ = true;
  active_trace = this;

}

void BlockTrace::set_thread(int thread, const void* stack_bottom, size_t stack_bytes) {
  thread_ = thread;
  stack_begin_ = reinterpret_cast<uintptr_t>(stack_bottom);
  stack_end_ = stack_begin_ + stack_bytes;
}

void BlockTrace::record(uintptr_t address, unsigned size, bool store, uintptr_t instruction) {
  if (address >= stack_begin_ && address < stack_end_) return;  // the thread's own locals

  bool shared = false;
  if (address >= dynamic_begin_ && address < dynamic_end_) {
    shared = true;
  } else if (address >= tls_begin_ && address < tls_end_) {
    for (const uintptr_t b : builtins_)
      if (address >= b && address < b + sizeof(dim3)) return;  // threadIdx and friends: registers on a GPU
    shared = true;
    static_shared_min_ = std::min(static_shared_min_, address);
    static_shared_max_ = std::max(static_shared_max_, address + size);
  } else if (!(address >= cached_begin_ && address < cached_end_) &&
             !find_allocation(address, cached_begin_, cached_end_)) {
    return;  // not device memory: kernel parameters, the emulator's own data
  }
  accesses_.push_back(Access{instruction, address, 0, static_cast<uint16_t>(thread_), static_cast<uint16_t>(std::min(size, 0xffffu)),
                             static_cast<uint8_t>((store ? 1 : 0) | (shared ? 2 : 0))});
}

void BlockTrace::add_request(const Access* first, const Access* last) {
  Totals& t = sites_[{first->instruction, first->kind}];
  const bool shared = first->kind & 2;
  // The distinct bytes the lanes asked for, as merged [begin, end) intervals.
  std::vector<std::pair<uintptr_t, uintptr_t>> spans;
  for (const Access* a = first; a != last; ++a) spans.emplace_back(a->address, a->address + a->size);
  std::sort(spans.begin(), spans.end());
  uint64_t distinct_bytes = 0;
  uintptr_t covered = 0;
  for (const auto& [b, e] : spans) {
    const uintptr_t from = std::max(b, covered);
    if (e > from) distinct_bytes += e - from;
    covered = std::max(covered, e);
  }
  t.requests += 1;
  t.bytes += static_cast<uint64_t>(last - first) * first->size;
  if (!shared) {
    std::vector<uintptr_t> sectors;
    for (const auto& [b, e] : spans)
      for (uintptr_t s = b >> 5; s <= (e - 1) >> 5; ++s) sectors.push_back(s);
    std::sort(sectors.begin(), sectors.end());
    t.transactions += static_cast<uint64_t>(std::unique(sectors.begin(), sectors.end()) - sectors.begin());
    t.ideal += (distinct_bytes + 31) / 32;
  } else {
    // A bank serves one 4-byte word per wavefront; lanes reading the same
    // word share it (a broadcast).
    std::vector<uintptr_t> words;
    for (const auto& [b, e] : spans)
      for (uintptr_t w = b >> 2; w <= (e - 1) >> 2; ++w) words.push_back(w);
    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
    int per_bank[32] = {};
    for (uintptr_t w : words) ++per_bank[w & 31];
    t.transactions += static_cast<uint64_t>(*std::max_element(per_bank, per_bank + 32));
    t.ideal += (words.size() + 31) / 32;
  }
}

void BlockTrace::end_interval() {
  if (!active_ || accesses_.empty()) return;
  // Number each thread's executions of each instruction in program order...
  std::stable_sort(accesses_.begin(), accesses_.end(), [](const Access& a, const Access& b) {
    return a.instruction != b.instruction ? a.instruction < b.instruction : a.thread < b.thread;
  });
  for (size_t i = 0; i < accesses_.size(); ++i) {
    const bool same_run = i > 0 && accesses_[i - 1].instruction == accesses_[i].instruction &&
                          accesses_[i - 1].thread == accesses_[i].thread;
    accesses_[i].occurrence = same_run ? accesses_[i - 1].occurrence + 1 : 0;
  }
  // ...then the k-th execution by the lanes of one warp is one request.
  auto key = [](const Access& a) { return std::make_tuple(a.instruction, a.thread / 32, a.occurrence, a.kind); };
  std::sort(accesses_.begin(), accesses_.end(), [&](const Access& a, const Access& b) { return key(a) < key(b); });
  for (size_t i = 0; i < accesses_.size();) {
    size_t j = i + 1;
    while (j < accesses_.size() && key(accesses_[j]) == key(accesses_[i])) ++j;
    add_request(&accesses_[i], &accesses_[j]);
    i = j;
  }
  accesses_.clear();
}

size_t BlockTrace::end() {
  end_interval();
  active_ = false;
  active_trace = nullptr;
  const size_t static_shared = static_shared_max_ > static_shared_min_ ? static_shared_max_ - static_shared_min_ : 0;
  std::lock_guard lock(report_mutex);
  KernelTotals& k = recorded()[*kernel_];
  k.blocks += 1;
  k.static_shared_bytes = std::max(k.static_shared_bytes, static_shared);
  for (const auto& [site, t] : sites_) {
    SiteTotals& s = k.sites[site];
    s.requests += t.requests;
    s.transactions += t.transactions;
    s.ideal += t.ideal;
    s.bytes += t.bytes;
  }
  return static_shared;
}

void BlockTrace::abandon() {
  active_ = false;
  active_trace = nullptr;
  accesses_.clear();
}

}  // namespace heatmark::sim

// ---- the instrumentation's callbacks ------------------------------------------------------
#if HEATMARK_HAS_MEMORY_MODEL
// GCC calls these from the traced kernels (-fsanitize=kernel-address with
// --param asan-instrumentation-with-call-threshold=0, recoverable: the
// _noabort names). Outside a traced block they return at once.

#define HM_ACCESS_CALLBACKS(size)                                                                   \
  extern "C" void __asan_load##size##_noabort(uintptr_t address) {                                    \
    if (auto* t = heatmark::sim::active_trace)                                                        \
      t->record(address, size, false, reinterpret_cast<uintptr_t>(__builtin_return_address(0)));     \
  }                                                                                                   \
  extern "C" void __asan_store##size##_noabort(uintptr_t address) {                                   \
    if (auto* t = heatmark::sim::active_trace)                                                        \
      t->record(address, size, true, reinterpret_cast<uintptr_t>(__builtin_return_address(0)));      \
  }
HM_ACCESS_CALLBACKS(1)
HM_ACCESS_CALLBACKS(2)
HM_ACCESS_CALLBACKS(4)
HM_ACCESS_CALLBACKS(8)
HM_ACCESS_CALLBACKS(16)
#undef HM_ACCESS_CALLBACKS

extern "C" void __asan_loadN_noabort(uintptr_t address, size_t size) {
  if (auto* t = heatmark::sim::active_trace)
    t->record(address, static_cast<unsigned>(size), false, reinterpret_cast<uintptr_t>(__builtin_return_address(0)));
}
extern "C" void __asan_storeN_noabort(uintptr_t address, size_t size) {
  if (auto* t = heatmark::sim::active_trace)
    t->record(address, static_cast<unsigned>(size), true, reinterpret_cast<uintptr_t>(__builtin_return_address(0)));
}
// Called before a noreturn call (a throw); nothing to do.
extern "C" void __asan_handle_no_return() {}
#endif
