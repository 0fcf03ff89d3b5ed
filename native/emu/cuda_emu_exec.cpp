// cuda_emu_exec.cpp: runs kernels. One launch at a time (process-wide mutex); the blocks of a
// launch run one after another, each by one of two executors:
//  - fibers (the default): the block's threads are user-mode contexts with their own stacks,
//    switched cooperatively on the calling thread at every barrier and warp collective. Cheap
//    (a switch is a few nanoseconds, so thousands of launches and barrier-heavy kernels stay fast),
//    deterministic, and a barrier that can never complete is reported as a launch failure instead
//    of hanging.
//    Under ThreadSanitizer the fibers are TSan fibers and the barriers publish happens-before
//    edges explicitly, so races between the threads of a kernel are reported.
//  - threads: a team of blockDim.x*y*z real OS threads from a persistent pool (grown in whole warps
//    to the largest block seen, at most 1024); lock-free barriers on an atomic state word plus an
//    atomic generation the waiters sleep on (futex), which ThreadSanitizer models. Real
//    concurrency, ~50x slower on a small machine. XENT_EMU_EXECUTOR=threads selects it.
#include "emu_internal.h"

#include <pthread.h>
#include <signal.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <climits>
#endif

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

namespace xent_emu {
namespace detail {
namespace {

constexpr unsigned kMaxThreads = 1024;
constexpr unsigned kMaxWarps = kMaxThreads / 32;
constexpr size_t kWorkerStack = size_t{2} << 20;

// Sleeping on an atomic word. On Linux a bare futex: libstdc++'s std::atomic::wait spins and
// yields first, which with hundreds of threads on a few cores costs more than it saves. The
// memory ordering is carried by the atomic loads and stores around these calls.
inline void wait_while_equal(std::atomic<unsigned>& word, unsigned old) {
    while (word.load(std::memory_order_acquire) == old) {
#if defined(__linux__)
        syscall(SYS_futex, reinterpret_cast<unsigned*>(&word), FUTEX_WAIT_PRIVATE, old, nullptr, nullptr, 0);
#else
        word.wait(old, std::memory_order_acquire);
#endif
    }
}
inline void wake_all(std::atomic<unsigned>& word) {
#if defined(__linux__)
    syscall(SYS_futex, reinterpret_cast<unsigned*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
#else
    word.notify_all();
#endif
}
static_assert(sizeof(std::atomic<unsigned>) == sizeof(unsigned), "futex word layout");

// A reusable counting barrier for real threads. `expected` threads take part; a thread that
// leaves for good (returns from the kernel) retires and is no longer waited for. Lock-free: one
// 64-bit word holds (expected, arrived), so the thread whose arrival (or retirement) completes the
// episode knows it from its own read-modify-write; it publishes the results and bumps the
// generation the others sleep on. The acq_rel RMWs and the release/acquire generation give every
// thread's writes before the barrier to every thread after it (ThreadSanitizer follows this).
class Barrier {
public:
    // Only while no thread is inside the barrier (before a block starts).
    void reset(unsigned expected) {
        state_.store(static_cast<uint64_t>(expected) << 32, std::memory_order_relaxed);
        sum_[0].store(0, std::memory_order_relaxed);
        sum_[1].store(0, std::memory_order_relaxed);
    }

    // Waits until every expected thread arrived (or retired). On return *sum is the sum of the
    // arrivals' contributions and *participants their number. `completion` runs once, in the
    // thread that completes the episode, before anyone is released.
    template <class Completion>
    void arrive_and_wait(int contribution, int* sum, int* participants, Completion&& completion) {
        // The episode cannot end before this thread arrives, so gen_ is this episode's number.
        const unsigned gen = gen_.load(std::memory_order_acquire);
        const unsigned slot = gen & 1u;
        if (contribution != 0) sum_[slot].fetch_add(contribution, std::memory_order_relaxed);
        const uint64_t s = state_.fetch_add(1, std::memory_order_acq_rel) + 1;
        if (arrived(s) >= expected(s)) {
            complete(gen, s, completion);
        } else {
            wait_while_equal(gen_, gen);
        }
        // result_*[slot] are rewritten two episodes later, which needs this thread to arrive again.
        if (sum) *sum = result_sum_[slot];
        if (participants) *participants = result_n_[slot];
    }

    void arrive_and_wait() {
        arrive_and_wait(0, nullptr, nullptr, [] {});
    }

    void retire() {
        const uint64_t s = state_.fetch_sub(uint64_t{1} << 32, std::memory_order_acq_rel) - (uint64_t{1} << 32);
        if (arrived(s) > 0 && arrived(s) >= expected(s)) complete(gen_.load(std::memory_order_acquire), s, [] {});
    }

private:
    static unsigned arrived(uint64_t s) { return static_cast<unsigned>(s & 0xffffffffu); }
    static unsigned expected(uint64_t s) { return static_cast<unsigned>(s >> 32); }

    // Every live thread is in the barrier now: nobody else touches state_ until gen_ moves.
    template <class Completion>
    void complete(unsigned gen, uint64_t s, Completion&& completion) {
        completion();
        const unsigned slot = gen & 1u;
        result_sum_[slot] = sum_[slot].exchange(0, std::memory_order_relaxed);
        result_n_[slot] = static_cast<int>(arrived(s));
        state_.store(static_cast<uint64_t>(expected(s)) << 32, std::memory_order_relaxed);
        gen_.store(gen + 1, std::memory_order_release);
        wake_all(gen_);
    }

    std::atomic<uint64_t> state_{0};
    std::atomic<int> sum_[2] = {};
    int result_sum_[2] = {};
    int result_n_[2] = {};
    std::atomic<unsigned> gen_{0};
};

struct Warp {
    Barrier bar;
    unsigned lanes = 0;  // mask of the lanes that exist
    // Two exchange buffers used alternately: a lane can only reuse one after the whole warp passed
    // the next collective, so one barrier per collective suffices.
    alignas(64) unsigned char slots[2][32 * kSlotBytes];
};

struct Launch {
    bool fibers = false;  // which executor runs it
    Thunk thunk = nullptr;
    const void* params = nullptr;
    dim3 grid, block;
    unsigned nthreads = 0;
    unsigned long long nblocks = 0;
    Barrier block_bar;  // __syncthreads
    Barrier end_bar;    // between two blocks: the next block may not start before all finished
    bool abort = false; // set at the end of a block after a fault: the remaining blocks are skipped
    Warp warps[kMaxWarps];
    std::atomic<unsigned> remaining{0};  // woken pool threads that have not finished the launch
    std::atomic<unsigned> done{0};
    std::atomic<int> fault{0};
    char fault_msg[256] = {};            // written by the thread that set `fault`
};

struct alignas(64) Group {
    std::atomic<unsigned> epoch{0};  // bumped once per launch that needs this group of 32 threads
};

void reset_block_barriers(Launch& L) {
    L.block_bar.reset(L.nthreads);
    const unsigned nwarps = (L.nthreads + 31) / 32;
    for (unsigned w = 0; w < nwarps; ++w) L.warps[w].bar.reset(static_cast<unsigned>(__builtin_popcount(L.warps[w].lanes)));
}

void run_thread(Launch& L, unsigned tid) {
    ThreadCtx& c = ctx;
    c.team = &L;
    c.tid = tid;
    c.lane = tid & 31u;
    c.warp = tid >> 5;
    c.warp_mask = L.warps[c.warp].lanes;
    const dim3 b = L.block, g = L.grid;
    threadIdx = make_uint3(tid % b.x, (tid / b.x) % b.y, tid / (b.x * b.y));
    blockDim = b;
    gridDim = g;
    const unsigned long long gxy = static_cast<unsigned long long>(g.x) * g.y;
    for (unsigned long long blk = 0; blk < L.nblocks; ++blk) {
        blockIdx = make_uint3(static_cast<unsigned>(blk % g.x), static_cast<unsigned>((blk / g.x) % g.y),
                              static_cast<unsigned>(blk / gxy));
        c.parity = 0;
        try {
            L.thunk(L.params);
        } catch (const Trap&) {
            // already recorded by __trap()
        } catch (...) {
            kernel_fault(cudaErrorLaunchFailure, "a kernel thread threw a C++ exception");
        }
        L.block_bar.retire();
        L.warps[c.warp].bar.retire();
        if (blk + 1 == L.nblocks) break;
        L.end_bar.arrive_and_wait(0, nullptr, nullptr, [&L] {
            reset_block_barriers(L);
            L.abort = L.fault.load(std::memory_order_relaxed) != 0;
        });
        if (L.abort) break;
    }
    c = ThreadCtx{};
}


// ---- fiber executor ----------------------------------------------------------------------------

#define XENT_EMU_HAVE_FIBERS 1

// Under ThreadSanitizer the fibers are TSan fibers switched without implied synchronisation, and
// the executor's barriers publish happens-before edges explicitly (release on arrival, acquire on
// departure), so races between the threads of a kernel are reported as with real threads. The
// executor's own bookkeeping (fiber states, the thread-local built-ins it rewrites at every switch)
// is deliberately left uninstrumented.
#if defined(__SANITIZE_THREAD__)
#define XENT_EMU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define XENT_EMU_TSAN 1
#endif
#endif
#ifndef XENT_EMU_TSAN
#define XENT_EMU_TSAN 0
#endif

#if XENT_EMU_TSAN
}  // namespace
}  // namespace detail
}  // namespace xent_emu
extern "C" {
void* __tsan_get_current_fiber(void);
void* __tsan_create_fiber(unsigned flags);
void __tsan_switch_to_fiber(void* fiber, unsigned flags);
void __tsan_destroy_fiber(void* fiber);
void __tsan_acquire(void* addr);
void __tsan_release(void* addr);
}
namespace xent_emu {
namespace detail {
namespace {
#define XENT_EMU_NO_TSAN __attribute__((no_sanitize_thread))
// No function-entry instrumentation on anything that runs around a switch: TSan's shadow call
// stacks are per fiber, and a frame entered on one and left on another would never be popped.
XENT_EMU_NO_TSAN inline void tsan_switch(void* fiber) { __tsan_switch_to_fiber(fiber, 1 /* no_sync */); }
XENT_EMU_NO_TSAN inline void tsan_release(void* addr) { __tsan_release(addr); }
XENT_EMU_NO_TSAN inline void tsan_acquire(void* addr) { __tsan_acquire(addr); }
#else
#define XENT_EMU_NO_TSAN
inline void tsan_switch(void*) {}
inline void tsan_release(void*) {}
inline void tsan_acquire(void*) {}
#endif

#if XENT_EMU_HAVE_FIBERS
#if defined(__x86_64__) && defined(__ELF__)
#define XENT_EMU_ASM_SWITCH 1
#else
#define XENT_EMU_ASM_SWITCH 0
#endif
}  // namespace
}  // namespace detail
}  // namespace xent_emu

#if XENT_EMU_ASM_SWITCH
// xent_emu_switch(save, load): saves the callee-saved registers and the SSE/x87 control words on
// the current stack, stores the stack pointer in *save, continues on stack `load`.
// xent_emu_trampoline: first "return" address of a new fiber: calls r13(r12).
extern "C" void xent_emu_switch(void** save, void* load);
extern "C" void xent_emu_trampoline();
asm(R"(
    .text
    .globl xent_emu_switch
    .hidden xent_emu_switch
    .type xent_emu_switch, @function
    .p2align 4
xent_emu_switch:
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
    .size xent_emu_switch, .-xent_emu_switch

    .globl xent_emu_trampoline
    .hidden xent_emu_trampoline
    .type xent_emu_trampoline, @function
    .p2align 4
xent_emu_trampoline:
    movq %r12, %rdi
    callq *%r13
    ud2
    .size xent_emu_trampoline, .-xent_emu_trampoline
)");
#else
#include <ucontext.h>
#endif

namespace xent_emu {
namespace detail {
namespace {

struct Context {
#if XENT_EMU_ASM_SWITCH
    void* sp = nullptr;
#else
    ucontext_t uc;
#endif
};

#if !XENT_EMU_ASM_SWITCH
thread_local void (*uc_fn)(void*) = nullptr;
thread_local void* uc_arg = nullptr;
void uc_entry() { uc_fn(uc_arg); }
#endif

// Prepares `c` to run fn(arg) on [stack, stack + size) at its first switch.
XENT_EMU_NO_TSAN void context_init(Context& c, unsigned char* stack, size_t size, void (*fn)(void*), void* arg) {
#if XENT_EMU_ASM_SWITCH
    const uintptr_t top = (reinterpret_cast<uintptr_t>(stack) + size) & ~uintptr_t{15};
    uint64_t* sp = reinterpret_cast<uint64_t*>(top);
    unsigned short fpcw;
    asm volatile("fnstcw %0" : "=m"(fpcw));
    const uint32_t mxcsr = __builtin_ia32_stmxcsr();
    *--sp = reinterpret_cast<uint64_t>(&xent_emu_trampoline);  // ret target; rsp = top after it
    *--sp = 0;                                                  // rbp
    *--sp = 0;                                                  // rbx
    *--sp = reinterpret_cast<uint64_t>(arg);                    // r12
    *--sp = reinterpret_cast<uint64_t>(fn);                     // r13
    *--sp = 0;                                                  // r14
    *--sp = 0;                                                  // r15
    *--sp = static_cast<uint64_t>(mxcsr) | (static_cast<uint64_t>(fpcw) << 32);
    c.sp = sp;
#else
    getcontext(&c.uc);
    c.uc.uc_stack.ss_sp = stack;
    c.uc.uc_stack.ss_size = size;
    c.uc.uc_link = nullptr;
    makecontext(&c.uc, &uc_entry, 0);
    uc_fn = fn;  // the same (fiber_main, executor) for every fiber
    uc_arg = arg;
#endif
}

XENT_EMU_NO_TSAN inline void context_switch(Context& from, Context& to) {
#if XENT_EMU_ASM_SWITCH
    xent_emu_switch(&from.sp, to.sp);
#else
    swapcontext(&from.uc, &to.uc);
#endif
}

constexpr size_t kFiberStack = size_t{256} << 10;
constexpr size_t kGuard = size_t{4} << 10;

enum class FiberState : unsigned char { runnable, wait_block, wait_warp, done };

struct Fiber {
    Context context;
    unsigned char* stack = nullptr;  // kFiberStack usable bytes above a guard page
    FiberState state = FiberState::done;
    uint3 idx{};
    unsigned parity = 0;
    void* tsan = nullptr;  // its ThreadSanitizer fiber (TSan builds)
};

// Runs the blocks of a launch as fibers on the calling thread. Used under the launch mutex only.
struct FiberExec {
    std::vector<Fiber> fibers;
    Context scheduler;
    Launch* L = nullptr;
    unsigned current = 0;
    // block barrier
    unsigned blk_arrived = 0, blk_live = 0;
    int blk_sum = 0, res_sum = 0, res_n = 0;
    // warp barriers
    unsigned warp_arrived[kMaxWarps] = {}, warp_live[kMaxWarps] = {};
    // ThreadSanitizer: the scheduler's context, and addresses that carry happens-before edges
    // (barriers alternate between two per episode so a fast thread's next arrival is not
    // mistaken for this one's)
    void* tsan_scheduler = nullptr;
    unsigned blk_episode = 0, warp_episode[kMaxWarps] = {};
    char sync_start = 0, sync_end = 0, blk_sync[2] = {}, warp_sync[kMaxWarps][2] = {};

    bool ensure(unsigned n) {
        while (fibers.size() < n) {
            void* m = mmap(nullptr, kFiberStack + kGuard, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (m == MAP_FAILED) return false;
            mprotect(m, kGuard, PROT_NONE);  // stacks grow down: an overflow faults, not corrupts
            Fiber f;
            f.stack = static_cast<unsigned char*>(m) + kGuard;
#if XENT_EMU_TSAN
            f.tsan = __tsan_create_fiber(0);
#endif
            fibers.push_back(f);
        }
        return true;
    }

    XENT_EMU_NO_TSAN Fiber& self() { return fibers[current]; }

    XENT_EMU_NO_TSAN void yield() {
        Fiber& f = self();
        f.parity = ctx.parity;
        tsan_switch(tsan_scheduler);
        context_switch(f.context, scheduler);
    }

    XENT_EMU_NO_TSAN void resume(unsigned i) {
        Fiber& f = fibers[i];
        current = i;
        threadIdx = f.idx;
        ctx.tid = i;
        ctx.lane = i & 31u;
        ctx.warp = i >> 5;
        ctx.warp_mask = L->warps[i >> 5].lanes;
        ctx.parity = f.parity;
        tsan_switch(f.tsan);
        context_switch(scheduler, f.context);
    }

    XENT_EMU_NO_TSAN void release_block() {
        ++blk_episode;
        res_sum = blk_sum;
        res_n = static_cast<int>(blk_arrived);
        blk_sum = 0;
        blk_arrived = 0;
        for (unsigned i = 0; i < L->nthreads; ++i)
            if (fibers[i].state == FiberState::wait_block) fibers[i].state = FiberState::runnable;
    }

    XENT_EMU_NO_TSAN void release_warp(unsigned w) {
        ++warp_episode[w];
        warp_arrived[w] = 0;
        const unsigned end = std::min(L->nthreads, 32 * w + 32);
        for (unsigned i = 32 * w; i < end; ++i)
            if (fibers[i].state == FiberState::wait_warp) fibers[i].state = FiberState::runnable;
    }

    XENT_EMU_NO_TSAN void block_arrive(int contribution, int* sum, int* participants) {
        void* sync = &blk_sync[blk_episode & 1u];
        tsan_release(sync);
        blk_sum += contribution;
        if (++blk_arrived >= blk_live) {
            release_block();
        } else {
            self().state = FiberState::wait_block;
            yield();
        }
        tsan_acquire(sync);
        if (sum) *sum = res_sum;  // rewritten only when this fiber arrives again
        if (participants) *participants = res_n;
    }

    XENT_EMU_NO_TSAN void warp_arrive(unsigned w) {
        void* sync = &warp_sync[w][warp_episode[w] & 1u];
        tsan_release(sync);
        if (++warp_arrived[w] >= warp_live[w]) {
            release_warp(w);
        } else {
            self().state = FiberState::wait_warp;
            yield();
        }
        tsan_acquire(sync);
    }

    // A thread that finished: its writes reach the threads past the barriers it no longer joins.
    XENT_EMU_NO_TSAN void retire(unsigned i) {
        tsan_release(&blk_sync[blk_episode & 1u]);
        tsan_release(&warp_sync[i >> 5][warp_episode[i >> 5] & 1u]);
        --blk_live;
        if (blk_arrived > 0 && blk_arrived >= blk_live) release_block();
        const unsigned w = i >> 5;
        --warp_live[w];
        if (warp_arrived[w] > 0 && warp_arrived[w] >= warp_live[w]) release_warp(w);
    }

    XENT_EMU_NO_TSAN static void fiber_main(void* arg) {
        FiberExec& E = *static_cast<FiberExec*>(arg);
        tsan_acquire(&E.sync_start);
        try {
            E.L->thunk(E.L->params);
        } catch (const Trap&) {
            // already recorded by __trap()
        } catch (...) {
            kernel_fault(cudaErrorLaunchFailure, "a kernel thread threw a C++ exception");
        }
        Fiber& f = E.self();
        tsan_release(&E.sync_end);
        E.retire(E.current);
        f.state = FiberState::done;
        tsan_switch(E.tsan_scheduler);
        context_switch(f.context, E.scheduler);
        __builtin_trap();  // a finished fiber is never resumed
    }

    XENT_EMU_NO_TSAN void run(Launch& launch) {
        L = &launch;
#if XENT_EMU_TSAN
        tsan_scheduler = __tsan_get_current_fiber();
#endif
        const unsigned n = launch.nthreads;
        const dim3 g = launch.grid;
        const unsigned long long gxy = static_cast<unsigned long long>(g.x) * g.y;
        blockDim = launch.block;
        gridDim = g;
        ctx.team = &launch;
        for (unsigned i = 0; i < n; ++i) {
            const dim3 b = launch.block;
            fibers[i].idx = make_uint3(i % b.x, (i / b.x) % b.y, i / (b.x * b.y));
        }
        for (unsigned long long blk = 0; blk < launch.nblocks; ++blk) {
            blockIdx = make_uint3(static_cast<unsigned>(blk % g.x), static_cast<unsigned>((blk / g.x) % g.y),
                                  static_cast<unsigned>(blk / gxy));
            for (unsigned i = 0; i < n; ++i) {
                Fiber& f = fibers[i];
                context_init(f.context, f.stack, kFiberStack, &FiberExec::fiber_main, this);
                f.state = FiberState::runnable;
                f.parity = 0;
            }
            blk_arrived = 0;
            blk_sum = 0;
            blk_live = n;
            tsan_release(&sync_start);  // the launcher's writes (and the previous block's) -> this block
            for (unsigned w = 0; w < (n + 31) / 32; ++w) {
                warp_arrived[w] = 0;
                warp_live[w] = static_cast<unsigned>(__builtin_popcount(launch.warps[w].lanes));
            }
            unsigned done = 0;
            while (done < n) {
                bool progressed = false;
                for (unsigned i = 0; i < n; ++i) {
                    if (fibers[i].state != FiberState::runnable) continue;
                    resume(i);
                    progressed = true;
                    if (fibers[i].state == FiberState::done) ++done;
                }
                if (!progressed) {
                    kernel_fault(cudaErrorLaunchFailure,
                                 "deadlock: threads wait at a __syncthreads or warp collective that the other threads "
                                 "of their block or warp never reach (divergent barrier)");
                    break;
                }
            }
#if XENT_EMU_TSAN
            // Fibers abandoned by a deadlock never released and keep frames on TSan's shadow
            // stack: release in their name, then replace them.
            for (unsigned i = 0; i < n; ++i) {
                if (fibers[i].state == FiberState::done) continue;
                tsan_switch(fibers[i].tsan);
                tsan_release(&sync_end);
                tsan_switch(tsan_scheduler);
                __tsan_destroy_fiber(fibers[i].tsan);
                fibers[i].tsan = __tsan_create_fiber(0);
            }
#endif
            tsan_acquire(&sync_end);  // this block's writes -> the next block and the launcher
            if (launch.fault.load(std::memory_order_relaxed) != 0) break;
        }
        ctx = ThreadCtx{};
        threadIdx = uint3{};
        blockIdx = uint3{};
        blockDim = dim3();
        gridDim = dim3();
        L = nullptr;
    }
};
#endif  // XENT_EMU_HAVE_FIBERS

class Pool {
public:
    std::mutex launch_mutex;  // one launch at a time
    Launch launch;
    Group groups[kMaxWarps];
    std::vector<pthread_t> threads;  // always whole groups of 32 after a successful ensure()
    std::atomic<bool> stopping{false};
#if XENT_EMU_HAVE_FIBERS
    FiberExec fiber;
#endif

    // Grows the pool to at least n threads (n a multiple of 32). Caller holds launch_mutex.
    bool ensure(unsigned n) {
        if (threads.size() >= n) return true;
        pthread_attr_t attr;
        if (pthread_attr_init(&attr) != 0) return false;
        pthread_attr_setstacksize(&attr, kWorkerStack);
        // Pool threads take no asynchronous signals (a JVM may host us).
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        bool ok = true;
        while (threads.size() < n) {
            const unsigned index = static_cast<unsigned>(threads.size());
            auto* arg = new (std::nothrow) WorkerArg{this, index, groups[index / 32].epoch.load(std::memory_order_relaxed)};
            pthread_t t;
            if (arg == nullptr || pthread_create(&t, &attr, &Pool::worker_main, arg) != 0) {
                delete arg;
                ok = false;
                break;
            }
            threads.push_back(t);
        }
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
        pthread_attr_destroy(&attr);
        return ok;
    }

    // Wakes the first `ngroups` groups and waits until each of their threads finished.
    void run(unsigned ngroups) {
        launch.remaining.store(ngroups * 32, std::memory_order_relaxed);
        launch.done.store(0, std::memory_order_relaxed);
        for (unsigned g = 0; g < ngroups; ++g) {
            groups[g].epoch.fetch_add(1, std::memory_order_release);
            wake_all(groups[g].epoch);
        }
        wait_while_equal(launch.done, 0);
    }

    // Stops and joins every thread, if no launch is in flight. For process exit / library unload.
    void shutdown() {
        if (!launch_mutex.try_lock()) return;  // a launch is running on another thread: leave it be
        stopping.store(true, std::memory_order_release);
        const unsigned ngroups = static_cast<unsigned>(threads.size() / 32);
        for (unsigned g = 0; g < ngroups; ++g) {
            groups[g].epoch.fetch_add(1, std::memory_order_release);
            wake_all(groups[g].epoch);
        }
        for (pthread_t t : threads) pthread_join(t, nullptr);
        threads.clear();
        launch_mutex.unlock();
    }

private:
    struct WorkerArg {
        Pool* pool;
        unsigned index;
        unsigned epoch;
    };

    static void* worker_main(void* p) {
        const WorkerArg arg = *static_cast<WorkerArg*>(p);
        delete static_cast<WorkerArg*>(p);
        Pool& pool = *arg.pool;
        Group& group = pool.groups[arg.index / 32];
        unsigned seen = arg.epoch;
        for (;;) {
            unsigned e;
            wait_while_equal(group.epoch, seen);
            e = group.epoch.load(std::memory_order_acquire);
            seen = e;
            if (pool.stopping.load(std::memory_order_acquire)) return nullptr;
            Launch& L = pool.launch;
            if (arg.index < L.nthreads) run_thread(L, arg.index);
            if (L.remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                L.done.store(1, std::memory_order_release);
                wake_all(L.done);
            }
        }
    }
};

Pool& pool() {
    static Pool* const p = new Pool;  // never deleted: threads may outlive static destruction
    return *p;
}

// Joins the pool threads at exit or dlclose, when no launch is in flight.
struct PoolReaper {
    ~PoolReaper() { pool().shutdown(); }
} reaper;

Launch* current_launch() { return static_cast<Launch*>(ctx.team); }

// 1: fibers, 0: threads, -1: not chosen yet (environment, then the build's default).
std::atomic<int> executor_choice{-1};

bool use_fibers() {
#if XENT_EMU_HAVE_FIBERS
    int c = executor_choice.load(std::memory_order_acquire);
    if (c < 0) {
        c = 1;
        if (const char* env = std::getenv("XENT_EMU_EXECUTOR")) {
            if (std::strcmp(env, "threads") == 0) c = 0;
        }
        int expected = -1;
        executor_choice.compare_exchange_strong(expected, c, std::memory_order_acq_rel);
        c = executor_choice.load(std::memory_order_acquire);
    }
    return c == 1;
#else
    return false;
#endif
}

#if XENT_EMU_HAVE_FIBERS
FiberExec& fibers() { return pool().fiber; }
#endif

void fault_partial_mask(const char* what, unsigned mask, unsigned lanes) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "%s: mask 0x%08x leaves out lanes of warp 0x%08x (partial masks are unsupported)",
                  what, mask, lanes);
    kernel_fault(cudaErrorLaunchFailure, msg);
}

}  // namespace

void kernel_fault(cudaError_t err, const char* message) {
    Launch* L = current_launch();
    if (L == nullptr) {
        set_fault_message(message);
        set_error(err);
        return;
    }
    int expected = 0;
    if (L->fault.compare_exchange_strong(expected, static_cast<int>(err), std::memory_order_acq_rel)) {
        std::snprintf(L->fault_msg, sizeof L->fault_msg, "%s", message);
    }
}

void syncthreads() {
    Launch* L = current_launch();
    if (L == nullptr) return;
#if XENT_EMU_HAVE_FIBERS
    if (L->fibers) return fibers().block_arrive(0, nullptr, nullptr);
#endif
    L->block_bar.arrive_and_wait();
}

void syncthreads_count(int predicate, int* count, int* participants) {
    Launch* L = current_launch();
    if (L == nullptr) {
        *count = predicate != 0;
        *participants = 1;
        return;
    }
#if XENT_EMU_HAVE_FIBERS
    if (L->fibers) return fibers().block_arrive(predicate != 0 ? 1 : 0, count, participants);
#endif
    L->block_bar.arrive_and_wait(predicate != 0 ? 1 : 0, count, participants, [] {});
}

void syncwarp(unsigned mask, const char* what) {
    const ThreadCtx& c = ctx;
    Launch* L = current_launch();
    if (L == nullptr) return;
    if ((mask & c.warp_mask) != c.warp_mask) {
        fault_partial_mask(what, mask, c.warp_mask);
        return;
    }
#if XENT_EMU_HAVE_FIBERS
    if (L->fibers) return fibers().warp_arrive(c.warp);
#endif
    L->warps[c.warp].bar.arrive_and_wait();
}

XENT_EMU_NO_TSAN const unsigned char* warp_exchange(const void* value, size_t bytes, unsigned mask, const char* what) {
    ThreadCtx& c = ctx;
    Launch* L = current_launch();
    if (L == nullptr) return nullptr;
    if ((mask & c.warp_mask) != c.warp_mask) {
        // Waiting for lanes that will not come could hang: report, and give the lane its own value.
        fault_partial_mask(what, mask, c.warp_mask);
        return nullptr;
    }
    Warp& w = L->warps[c.warp];
    unsigned char* buf = w.slots[c.parity];
    c.parity ^= 1u;
    std::memcpy(buf + static_cast<size_t>(c.lane) * kSlotBytes, value, bytes);
#if XENT_EMU_HAVE_FIBERS
    if (L->fibers) {
        fibers().warp_arrive(c.warp);
        return buf;
    }
#endif
    w.bar.arrive_and_wait();
    return buf;
}

cudaError_t launch_erased(const void* kernel, dim3 grid, dim3 block, Thunk thunk, const void* params) {
    if (current_launch() != nullptr) return set_error(cudaErrorNotSupported);  // no dynamic parallelism
    if (kernel == nullptr || thunk == nullptr) return set_error(cudaErrorInvalidDeviceFunction);
    const unsigned long long nthreads = static_cast<unsigned long long>(block.x) * block.y * block.z;
    if (block.x == 0 || block.y == 0 || block.z == 0 || block.x > 1024 || block.y > 1024 || block.z > 64 ||
        nthreads > kMaxThreads)
        return set_error(cudaErrorInvalidConfiguration);
    if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 0x7fffffffu || grid.y > 65535 || grid.z > 65535)
        return set_error(cudaErrorInvalidConfiguration);

    Pool& p = pool();
    std::lock_guard<std::mutex> lock(p.launch_mutex);
    if (p.stopping.load(std::memory_order_acquire)) return set_error(cudaErrorCudartUnloading);
    const unsigned ngroups = static_cast<unsigned>((nthreads + 31) / 32);
    const bool with_fibers = use_fibers();
#if XENT_EMU_HAVE_FIBERS
    if (with_fibers && !p.fiber.ensure(static_cast<unsigned>(nthreads))) return set_error(cudaErrorLaunchOutOfResources);
#endif
    if (!with_fibers && !p.ensure(ngroups * 32)) return set_error(cudaErrorLaunchOutOfResources);

    Launch& L = p.launch;
    L.fibers = with_fibers;
    L.thunk = thunk;
    L.params = params;
    L.grid = grid;
    L.block = block;
    L.nthreads = static_cast<unsigned>(nthreads);
    L.nblocks = static_cast<unsigned long long>(grid.x) * grid.y * grid.z;
    L.abort = false;
    L.fault.store(0, std::memory_order_relaxed);
    L.fault_msg[0] = '\0';
    for (unsigned w = 0; w < ngroups; ++w) {
        const unsigned lanes = std::min(32u, L.nthreads - 32 * w);
        L.warps[w].lanes = lanes == 32 ? 0xffffffffu : ((1u << lanes) - 1u);
    }
#if XENT_EMU_HAVE_FIBERS
    if (with_fibers) {
        p.fiber.run(L);
    } else
#endif
    {
        reset_block_barriers(L);
        L.end_bar.reset(L.nthreads);
        p.run(ngroups);
    }

    const int fault = L.fault.load(std::memory_order_acquire);
    if (fault != 0) {
        set_fault_message(L.fault_msg);
        set_pending_fault(static_cast<cudaError_t>(fault));
        return set_error(static_cast<cudaError_t>(fault));
    }
    return cudaSuccess;
}

}  // namespace detail

const char* executor() { return detail::use_fibers() ? "fibers" : "threads"; }

bool set_executor(const char* name) {
    if (name == nullptr) return false;
    if (std::strcmp(name, "threads") == 0) {
        detail::executor_choice.store(0, std::memory_order_release);
        return true;
    }
#if XENT_EMU_HAVE_FIBERS
    if (std::strcmp(name, "fibers") == 0) {
        detail::executor_choice.store(1, std::memory_order_release);
        return true;
    }
#endif
    return false;
}

int pool_threads() {
    detail::Pool& p = detail::pool();
    std::lock_guard<std::mutex> lock(p.launch_mutex);
    return static_cast<int>(p.threads.size());
}

}  // namespace xent_emu
