// check.h: a tiny assertion helper for the native tests (header-only, no framework: the GPU
// machines that build these tests have no network).
//
//   CHECK(cond)                      counts a failure (with file:line and the expression) if false
//   CHECK_EQ(a, b)                   a == b, prints both values on failure
//   CHECK_NEAR(a, b, tol)            |a - b| <= tol; NaN only matches NaN, inf only the same inf
//   CHECK_CLOSE(a, ref, atol, rtol)  |a - ref| <= atol + rtol * |ref|, same NaN/inf rules
//   TEST_CASE(name) { ... }          registers a test function
//   CHECK_MAIN()                     defines main(): runs every test (or those whose name contains
//                                    argv[1]), prints "N passed, M failed", returns 1 on failure
//
// Checks never stop a test: every failure is counted and reported.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace check {

struct State {
    long passed = 0;
    long failed = 0;
    const char* current = "";
};

inline State& state() {
    static State s;
    return s;
}

inline bool report(bool ok, const char* file, int line, const std::string& what) {
    State& s = state();
    if (ok) {
        ++s.passed;
    } else {
        ++s.failed;
        std::fprintf(stderr, "FAIL %s:%d [%s] %s\n", file, line, s.current, what.c_str());
    }
    return ok;
}

template <class T>
std::string show(const T& v) {
    std::ostringstream os;
    os.precision(9);
    if constexpr (std::is_pointer<T>::value) {
        os << static_cast<const void*>(v);
    } else if constexpr (std::is_same<T, signed char>::value || std::is_same<T, unsigned char>::value) {
        os << static_cast<int>(v);
    } else {
        os << v;
    }
    return os.str();
}

inline bool near(double a, double b, double tol) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    if (std::isinf(a) || std::isinf(b)) return a == b;
    return std::fabs(a - b) <= tol;
}

struct Test {
    const char* name;
    void (*fn)();
};

inline std::vector<Test>& registry() {
    static std::vector<Test> tests;
    return tests;
}

struct Register {
    Register(const char* name, void (*fn)()) { registry().push_back({name, fn}); }
};

inline int run_all(int argc, char** argv) {
    const char* filter = argc > 1 ? argv[1] : nullptr;
    State& s = state();
    for (const Test& t : registry()) {
        if (filter != nullptr && std::strstr(t.name, filter) == nullptr) continue;
        s.current = t.name;
        const long before = s.failed;
        std::fprintf(stderr, "[ RUN  ] %s\n", t.name);
        t.fn();
        std::fprintf(stderr, "[ %s ] %s\n", s.failed == before ? " OK " : "FAIL", t.name);
    }
    std::printf("%ld passed, %ld failed\n", s.passed, s.failed);
    return s.failed == 0 ? 0 : 1;
}

}  // namespace check

#define CHECK(cond) ::check::report(static_cast<bool>(cond), __FILE__, __LINE__, "CHECK(" #cond ")")

#define CHECK_EQ(a, b)                                                                                   \
    [&](const auto& check_a_, const auto& check_b_) {                                                    \
        const bool check_ok_ = (check_a_ == check_b_);                                                   \
        return ::check::report(check_ok_, __FILE__, __LINE__,                                            \
                               check_ok_ ? std::string()                                                 \
                                         : "CHECK_EQ(" #a ", " #b "): " + ::check::show(check_a_) +     \
                                               " != " + ::check::show(check_b_));                        \
    }((a), (b))

#define CHECK_NEAR(a, b, tol)                                                                            \
    [&](double check_a_, double check_b_, double check_t_) {                                             \
        const bool check_ok_ = ::check::near(check_a_, check_b_, check_t_);                              \
        return ::check::report(check_ok_, __FILE__, __LINE__,                                            \
                               check_ok_ ? std::string()                                                 \
                                         : "CHECK_NEAR(" #a ", " #b ", " #tol "): " +                   \
                                               ::check::show(check_a_) + " vs " + ::check::show(check_b_)); \
    }((a), (b), (tol))

#define CHECK_CLOSE(a, ref, atol, rtol)                                                                  \
    [&](double check_a_, double check_r_, double check_at_, double check_rt_) {                          \
        const bool check_ok_ =                                                                           \
            ::check::near(check_a_, check_r_, check_at_ + check_rt_ * std::fabs(check_r_));              \
        return ::check::report(check_ok_, __FILE__, __LINE__,                                            \
                               check_ok_ ? std::string()                                                 \
                                         : "CHECK_CLOSE(" #a ", " #ref "): " + ::check::show(check_a_) + \
                                               " vs " + ::check::show(check_r_));                        \
    }((a), (ref), (atol), (rtol))

#define CHECK_CONCAT_(a, b) a##b
#define CHECK_CONCAT(a, b) CHECK_CONCAT_(a, b)
#define TEST_CASE(name)                                                                  \
    static void name();                                                                  \
    static ::check::Register CHECK_CONCAT(check_register_, name)(#name, &name);          \
    static void name()

#define CHECK_MAIN() \
    int main(int argc, char** argv) { return ::check::run_all(argc, argv); }
