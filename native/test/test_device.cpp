// The device calls of xent.h: current device, where a pointer lives, streams, and the promise that
// compute calls only enqueue work (the emulator counts host-synchronising runtime calls).
#include <cstdlib>
#include <vector>

#include "abi.h"
#include "check.h"
#include "kernel_support.h"
#include "xent.h"

namespace {

// The emulator reads its device count once, at the first runtime call: two devices let the tests
// below see memory and streams of a device that is not the current one. The CUDA library ignores it.
const int kTwoEmulatedDevices = (setenv("XENT_EMU_DEVICE_COUNT", "2", 0), 0);

int32_t device_count() {
    int32_t n = 0;
    CHECK_EQ(xent_device_count(&n), 0);
    return n;
}

}  // namespace

TEST_CASE(current_device_and_pointer_device) {
    int32_t d = -2;
    CHECK_EQ(xent_get_device(&d), 0);
    CHECK_EQ(d, 0);
    CHECK_EQ(xent_get_device(nullptr), XENT_ERROR_INVALID_ARGUMENT);
    CHECK(msg_has("xent_get_device"));

    Dev mem(1000);
    int32_t where = -2;
    CHECK_EQ(xent_pointer_device(mem.p, &where), 0);
    CHECK_EQ(where, 0);
    where = -2;
    CHECK_EQ(xent_pointer_device(static_cast<char*>(mem.p) + 999, &where), 0);  // inside the allocation
    CHECK_EQ(where, 0);
    std::vector<float> host(16);
    where = -2;
    CHECK_EQ(xent_pointer_device(host.data(), &where), 0);
    CHECK_EQ(where, -1);
    where = -2;
    CHECK_EQ(xent_pointer_device(nullptr, &where), 0);
    CHECK_EQ(where, -1);
    CHECK_EQ(xent_pointer_device(mem.p, nullptr), XENT_ERROR_INVALID_ARGUMENT);
}

TEST_CASE(streams_belong_to_their_device) {
    void* s = nullptr;
    CHECK_EQ(xent_stream_create(&s), 0);
    CHECK(s != nullptr);
    int32_t d = -2;
    CHECK_EQ(xent_stream_device(s, &d), 0);
    CHECK_EQ(d, 0);
    d = -2;
    CHECK_EQ(xent_stream_device(nullptr, &d), 0);  // the default stream: the current device's
    CHECK_EQ(d, 0);
    CHECK_EQ(xent_stream_synchronize(s), 0);
    CHECK_EQ(xent_stream_destroy(s), 0);
    CHECK_EQ(xent_stream_destroy(nullptr), XENT_ERROR_INVALID_ARGUMENT);
    CHECK(msg_has("default stream"));
    CHECK_EQ(xent_stream_create(nullptr), XENT_ERROR_INVALID_ARGUMENT);

    if (device_count() < 2) {
        std::printf("streams_belong_to_their_device: one device, the second-device half skipped\n");
        return;
    }
    CHECK_EQ(xent_set_device(1), 0);
    void* s1 = nullptr;
    void* m1 = nullptr;
    CHECK_EQ(xent_stream_create(&s1), 0);
    CHECK_EQ(xent_malloc(&m1, 64), 0);
    CHECK_EQ(xent_set_device(0), 0);
    d = -2;
    CHECK_EQ(xent_stream_device(s1, &d), 0);
    CHECK_EQ(d, 1);
    d = -2;
    CHECK_EQ(xent_pointer_device(m1, &d), 0);
    CHECK_EQ(d, 1);
    CHECK_EQ(xent_free(m1), 0);
    CHECK_EQ(xent_stream_destroy(s1), 0);
}

TEST_CASE(compute_calls_only_enqueue) {
    const int64_t before = xent_synchronizing_calls();
    if (!xent_is_emulator()) {
        CHECK_EQ(before, -1);  // only the emulator counts
        return;
    }
    const int64_t N = 6, C = 300;
    Dev z(N * C * 4), labels(N * 8), loss(N * 4), lse(N * 4), ws(xent_workspace_floats(N, C) * 4), err(16), out(N * C * 4);
    std::vector<float> zh(N * C);
    for (int64_t i = 0; i < N * C; ++i) zh[i] = (float)((i * 37) % 101) / 7.0f;
    z.put(zh);
    labels.put(std::vector<int64_t>{0, 5, 299, 7, 42, 100});
    void* s = nullptr;
    CHECK_EQ(xent_stream_create(&s), 0);

    const int64_t start = xent_synchronizing_calls();
    const xent_tensor t = abi::tensor(XENT_F32, z.p, N, C, 1, C);
    const xent_targets y = abi::class_targets(XENT_I64, labels.p);
    const xent_ce_options o = abi::ce_options(nullptr, -100, 0.1f, 1.0f, 30.0f, 1e-4f, XENT_REDUCTION_MEAN);
    const xent_ce_outputs r = abi::ce_outputs(z.p, loss.f(), nullptr, lse.f(), ws.f(), static_cast<int64_t*>(err.p));
    CHECK_EQ(xent_memset(err.p, 0xFF, 16, s), 0);
    CHECK_EQ(xent_ce(XENT_FORWARD_BACKWARD, &t, &y, &o, nullptr, &r, s), 0);
    CHECK_EQ(xent_softmax(XENT_LOG_SOFTMAX, &t, out.p, s), 0);
    CHECK_EQ(xent_synchronizing_calls(), start);  // enqueued only

    CHECK_EQ(xent_stream_synchronize(s), 0);
    CHECK_EQ(xent_synchronizing_calls(), start + 1);
    std::vector<float> value(1);
    CHECK_EQ(xent_copy_to_host(value.data(), ws.p, 4, s), 0);  // an async copy to host and a stream sync
    CHECK(xent_synchronizing_calls() >= start + 2);
    CHECK(std::isfinite(value[0]) && value[0] > 0);
    CHECK_EQ(xent_stream_destroy(s), 0);
}

CHECK_MAIN()
