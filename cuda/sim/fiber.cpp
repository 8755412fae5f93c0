#include "cuda/sim/fiber.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <new>

#include "base/error.h"

#if defined(__SANITIZE_ADDRESS__)
#define HM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HM_ASAN 1
#endif
#endif
#ifndef HM_ASAN
#define HM_ASAN 0
#endif

#if HM_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace heatmark::sim {

// ---- stacks ------------------------------------------------------------------

size_t default_fiber_stack_size() { return HM_ASAN ? 512 * 1024 : 64 * 1024; }

FiberStack::FiberStack(size_t size) {
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  size_ = (size + page - 1) / page * page;
  mapped_ = size_ + page;
  // Lazily committed: only the pages a fiber touches use memory.
  mapping_ = ::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapping_ == MAP_FAILED) fail("emulator: cannot map a {} KiB fiber stack", mapped_ / 1024);
  if (::mprotect(mapping_, page, PROT_NONE) != 0) fail("emulator: cannot protect a fiber stack guard page");
  usable_ = static_cast<char*>(mapping_) + page;  // stacks grow down, towards the guard page
}

FiberStack::~FiberStack() {
  if (mapping_) ::munmap(mapping_, mapped_);
}

void unpoison_stack([[maybe_unused]] const FiberStack& stack) {
#if HM_ASAN
  ASAN_UNPOISON_MEMORY_REGION(stack.bottom(), stack.size());
#endif
}

// ---- sanitizer hooks -----------------------------------------------------------

namespace {

void before_switch([[maybe_unused]] Context& from, [[maybe_unused]] const Context& to,
                   [[maybe_unused]] bool from_finishing) {
#if HM_ASAN
  __sanitizer_start_switch_fiber(from_finishing ? nullptr : &from.fake_stack, to.stack_bottom, to.stack_size);
#endif
}

void after_switch([[maybe_unused]] Context& resumed) {
#if HM_ASAN
  __sanitizer_finish_switch_fiber(resumed.fake_stack, nullptr, nullptr);
#endif
}

}  // namespace

void fiber_started([[maybe_unused]] Context& caller) {
#if HM_ASAN
  const void* bottom = nullptr;
  size_t size = 0;
  __sanitizer_finish_switch_fiber(nullptr, &bottom, &size);
  caller.stack_bottom = bottom;
  caller.stack_size = size;
#endif
}

#if HEATMARK_SIM_USE_UCONTEXT

// ---- ucontext fallback ---------------------------------------------------------

void make_context(Context& ctx, FiberStack& stack, void (*entry)()) {
#if HM_ASAN
  ASAN_UNPOISON_MEMORY_REGION(static_cast<char*>(stack.bottom()) + stack.size() - 4096, 4096);
#endif
  if (::getcontext(&ctx.uc) != 0) fail("emulator: getcontext failed");
  ctx.uc.uc_stack.ss_sp = stack.bottom();
  ctx.uc.uc_stack.ss_size = stack.size();
  ctx.uc.uc_link = nullptr;
  ::makecontext(&ctx.uc, entry, 0);
  ctx.stack_bottom = stack.bottom();
  ctx.stack_size = stack.size();
}

void switch_context(Context& from, Context& to, bool from_finishing) {
  before_switch(from, to, from_finishing);
  ::swapcontext(&from.uc, &to.uc);
  after_switch(from);
}

#else

// ---- x86-64 context switch -----------------------------------------------------
//
// hm_sim_switch(void** save_sp, void* load_sp): pushes the System V
// callee-saved registers and the SSE/x87 control words on the current stack,
// stores the stack pointer in *save_sp, loads load_sp, and pops the same set
// from the new stack. The final `ret` resumes wherever the new stack's owner
// last called hm_sim_switch, or jumps to the entry trampoline for a new fiber.
extern "C" void hm_sim_switch(void** save_sp, void* load_sp);
asm(R"(
  .text
  .globl hm_sim_switch
  .type hm_sim_switch, @function
  .p2align 4
hm_sim_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size hm_sim_switch, .-hm_sim_switch
  .section .note.GNU-stack,"",@progbits
  .text
)");

void make_context(Context& ctx, FiberStack& stack, void (*entry)()) {
#if HM_ASAN
  // The entry frame of the stack's previous fiber never returned; clear any
  // poisoning it left at the top before writing the new frame there.
  ASAN_UNPOISON_MEMORY_REGION(static_cast<char*>(stack.bottom()) + stack.size() - 4096, 4096);
#endif
  // Lay out the frame hm_sim_switch pops, from the 16-byte aligned top down:
  //   top - 8   0 (a fake return address for entry, so entry sees an aligned call frame)
  //   top - 16  entry (popped by `ret`)
  //   top - 64  rbp, rbx, r12, r13, r14, r15 (zero)
  //   top - 72  MXCSR and x87 control word (copied from the current thread)
  auto top = reinterpret_cast<uintptr_t>(stack.bottom()) + stack.size();
  top &= ~uintptr_t{15};
  auto* slots = reinterpret_cast<uint64_t*>(top);
  slots[-1] = 0;
  slots[-2] = reinterpret_cast<uint64_t>(entry);
  for (int i = 3; i <= 8; ++i) slots[-i] = 0;
  uint32_t mxcsr = 0;
  uint16_t fpu_cw = 0;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpu_cw));
  auto* control = reinterpret_cast<unsigned char*>(&slots[-9]);
  std::memcpy(control, &mxcsr, 4);
  std::memcpy(control + 4, &fpu_cw, 2);
  ctx.sp = &slots[-9];
  ctx.stack_bottom = stack.bottom();
  ctx.stack_size = stack.size();
}

void switch_context(Context& from, Context& to, bool from_finishing) {
  before_switch(from, to, from_finishing);
  hm_sim_switch(&from.sp, to.sp);
  after_switch(from);
}

#endif

}  // namespace heatmark::sim
