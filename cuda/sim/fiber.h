// Fibers: user-level threads for the SIMT emulator.
//
// Every emulated CUDA thread runs on a Fiber with its own small stack (with a
// guard page below it). Switching between fibers is a hand-written x86-64
// routine that saves only the callee-saved registers and the FP control words
// (about 10-15 ns); ucontext, which makes a system call per switch (about
// 250 ns), is the portable fallback (-DHEATMARK_SIM_UCONTEXT=ON, or any
// non-x86-64 machine).
//
// Under AddressSanitizer every switch is announced through the sanitizer fiber
// hooks, so ASan knows which stack is live and reports stack errors correctly.
#pragma once

#include <cstddef>

#if defined(HEATMARK_SIM_UCONTEXT) || !defined(__x86_64__)
#define HEATMARK_SIM_USE_UCONTEXT 1
#include <ucontext.h>
#else
#define HEATMARK_SIM_USE_UCONTEXT 0
#endif

namespace heatmark::sim {

// A saved execution context: where to resume.
struct Context {
#if HEATMARK_SIM_USE_UCONTEXT
  ucontext_t uc;
#else
  void* sp = nullptr;  // the saved stack pointer; registers are on that stack
#endif
  // The stack this context runs on (for the sanitizer hooks) and ASan's
  // per-fiber fake-stack handle.
  const void* stack_bottom = nullptr;
  size_t stack_size = 0;
  void* fake_stack = nullptr;
};

// A stack for one fiber: `size` usable bytes above a PROT_NONE guard page, so
// an overflow faults instead of corrupting the neighbouring fiber.
class FiberStack {
 public:
  explicit FiberStack(size_t size);
  ~FiberStack();
  FiberStack(const FiberStack&) = delete;
  FiberStack& operator=(const FiberStack&) = delete;

  void* bottom() const { return usable_; }
  size_t size() const { return size_; }

 private:
  void* mapping_ = nullptr;
  void* usable_ = nullptr;
  size_t size_ = 0, mapped_ = 0;
};

// The default stack size for emulated threads (larger under sanitizers, whose
// instrumentation grows stack frames).
size_t default_fiber_stack_size();

// Makes `ctx` start `entry()` on `stack` when first switched to. `entry`
// must never return: it ends by switching away for good.
void make_context(Context& ctx, FiberStack& stack, void (*entry)());

// Saves the current execution into `from` and resumes `to`. Returns when
// something switches back to `from`. `from_finishing` tells the sanitizer
// that `from` will never be resumed (its fake stack can be released).
void switch_context(Context& from, Context& to, bool from_finishing = false);

// Must be the first call in a fiber's entry function: completes the switch
// that started it, and records in `caller` the stack it came from.
void fiber_started(Context& caller);

// Clears AddressSanitizer poisoning on a stack that is reused after its fiber
// was abandoned mid-frame. No-op without ASan.
void unpoison_stack(const FiberStack& stack);

}  // namespace heatmark::sim
