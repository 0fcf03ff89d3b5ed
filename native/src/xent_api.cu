// xent_api.cu: the C ABI of native/include/xent.h over the kernels in cuda/.
//
// Compiled twice: by nvcc into libxent_cuda.so, and by the host C++ compiler (through
// cuda/compat.cuh -> the emulator) into libxent_emu.so (XENT_EMULATOR defined). Every entry point
// checks its arguments, catches everything, maps errors to an xent_status and keeps a message
// per thread for xent_last_error(). Compute calls only enqueue work on the caller's stream.
#include <cmath>
#include "api_support.h"
#include "cross_entropy.cuh"
#include "softmax.cuh"

// One instantiation per storage type.
template cudaError_t xent::launch_ce<float>(int, xent::CeArgs, cudaStream_t);
template cudaError_t xent::launch_ce<xent::bf16>(int, xent::CeArgs, cudaStream_t);
template cudaError_t xent::launch_ce<xent::f16>(int, xent::CeArgs, cudaStream_t);

namespace {

using namespace xent_api;

// The kernel op of a (pass, target kind) pair, both already checked.
int ce_op(int32_t pass, bool soft) {
    if (pass == XENT_FORWARD) return soft ? xent::SOFT_FWD : xent::CE_FWD;
    if (pass == XENT_BACKWARD) return soft ? xent::SOFT_BWD : xent::CE_BWD;
    return soft ? xent::SOFT_FUSED : xent::CE_FUSED;
}

int32_t run_ce(int32_t pass, const xent_tensor* logits, const xent_targets* targets, const xent_ce_options* o,
               const float* upstream, const xent_ce_outputs* out, void* stream) {
    const char* fn = "xent_ce";
    int64_t rows = 0;
    XENT_TRY(check_pass(fn, pass, true));
    XENT_TRY(check_tensor(fn, "logits", logits, &rows));
    XENT_TRY(require(fn, targets, "targets"));
    XENT_TRY(check_target_kind(fn, targets->kind));
    const bool soft = targets->kind == XENT_TARGET_PROBABILITIES;
    int lab64 = 0;
    if (soft) XENT_TRY(require(fn, targets->data, "targets.data", rows > 0));
    else XENT_TRY(check_class_targets(fn, targets, rows, &lab64));
    XENT_TRY(require(fn, o, "options"));
    XENT_TRY(require(fn, out, "outputs"));
    XENT_TRY(check_reduction(fn, o->reduction));
    if (!(o->label_smoothing >= 0.0f && o->label_smoothing <= 1.0f))
        return invalid(fn, "options.label_smoothing must be in [0, 1] (got " + std::to_string(o->label_smoothing) + ")");
    if (!(o->logit_scale > 0.0f && std::isfinite(o->logit_scale)))
        return invalid(fn, "options.logit_scale must be finite and > 0 (got " + std::to_string(o->logit_scale) + ")");
    if (!(o->softcap >= 0.0f && std::isfinite(o->softcap)))
        return invalid(fn, "options.softcap must be finite and > 0, or 0 for none (got " + std::to_string(o->softcap) + ")");
    if (!(o->z_loss >= 0.0f && std::isfinite(o->z_loss)))
        return invalid(fn, "options.z_loss must be finite and >= 0 (got " + std::to_string(o->z_loss) + ")");
    XENT_TRY(require(fn, out->workspace, "outputs.workspace"));
    XENT_TRY(require(fn, out->grad, "outputs.grad", rows > 0 && pass != XENT_FORWARD));
    XENT_TRY(require(fn, out->lse, "outputs.lse", rows > 0 && pass == XENT_BACKWARD));
    const bool forward = pass != XENT_BACKWARD;
    xent::CeArgs A;
    A.logits = logits->data;
    A.grad = pass != XENT_FORWARD ? out->grad : nullptr;
    A.targets = soft ? targets->data : nullptr;
    A.labels = soft ? nullptr : targets->data;
    A.lab64 = lab64;
    A.reduction = o->reduction;
    A.weight = o->weight;
    A.classes = logits->classes;
    A.inner = logits->inner;
    A.outer_stride = logits->outer_stride;
    A.rows = rows;
    A.ignore_index = o->ignore_index;
    A.label_smoothing = o->label_smoothing;
    A.smooth = o->label_smoothing > 0.0f ? 1 : 0;
    A.upstream = pass != XENT_FORWARD ? upstream : nullptr;
    A.lse = out->lse;
    A.row_loss = forward && out->row_loss ? out->row_loss : out->workspace + xent::WS_ROWS;
    A.logit_scale = o->logit_scale;
    A.softcap = o->softcap;
    A.z_loss = o->z_loss;
    A.row_z_loss = forward ? out->row_z_loss : nullptr;
    A.workspace = out->workspace;
    A.error_info = soft ? nullptr : out->error_info;
    A.chunk_len = logits->classes;
    A.chunks = 1;
    const int op = ce_op(pass, soft);
    return from_cuda(fn, by_dtype(logits->dtype, [&](auto tag) {
        return xent::launch_ce<typename decltype(tag)::type>(op, A, as_stream(stream));
    }));
}

template <int OP>
cudaError_t launch_softmax_op(int32_t dtype, const xent::SmArgs& A, cudaStream_t st) {
    return by_dtype(dtype, [&](auto tag) { return xent::launch_softmax<typename decltype(tag)::type, OP>(A, st); });
}

int32_t run_softmax(int32_t op, const xent_tensor* in, void* out, void* stream) {
    const char* fn = "xent_softmax";
    if (op != XENT_LOG_SOFTMAX && op != XENT_SOFTMAX && op != XENT_LOGSUMEXP)
        return invalid(fn, "op: unknown value " + num(op));
    int64_t rows = 0;
    XENT_TRY(check_tensor(fn, "in", in, &rows));
    XENT_TRY(require(fn, out, "out", rows > 0));
    xent::SmArgs A;
    A.in = in->data;
    A.out = out;
    A.classes = in->classes;
    A.inner = in->inner;
    A.outer_stride = in->outer_stride;
    A.rows = rows;
    const cudaStream_t st = as_stream(stream);
    switch (op) {
        case XENT_LOG_SOFTMAX: return from_cuda(fn, launch_softmax_op<xent::SM_LOG_SOFTMAX>(in->dtype, A, st));
        case XENT_SOFTMAX: return from_cuda(fn, launch_softmax_op<xent::SM_SOFTMAX>(in->dtype, A, st));
        default: return from_cuda(fn, launch_softmax_op<xent::SM_LSE>(in->dtype, A, st));
    }
}

}  // namespace

extern "C" {

// ---- library ---------------------------------------------------------------------------------

XENT_API int32_t xent_abi_version(void) { return XENT_ABI_VERSION; }

XENT_API const char* xent_last_error(void) { return xent_api::last_error().c_str(); }

XENT_API int32_t xent_is_emulator(void) {
#if defined(XENT_EMULATOR)
    return 1;
#else
    return 0;
#endif
}

// ---- devices and memory --------------------------------------------------------------------

XENT_API int32_t xent_device_count(int32_t* count) {
    return guarded("xent_device_count", [&]() -> int32_t {
        if (count == nullptr) return invalid("xent_device_count", "count is null");
        *count = 0;
        int n = 0;
        cudaError_t e = cudaGetDeviceCount(&n);
        if (e != cudaSuccess) {
            cudaGetLastError();  // clear it: "no device" is an answer, not a sticky failure
            return from_cuda("xent_device_count", e);
        }
        *count = n;
        return XENT_OK;
    });
}

XENT_API int32_t xent_device_name(int32_t device, char* name, int64_t capacity) {
    return guarded("xent_device_name", [&]() -> int32_t {
        if (name == nullptr) return invalid("xent_device_name", "name is null");
        if (capacity < 1) return invalid("xent_device_name", "capacity must be >= 1 (got " + num(capacity) + ")");
        name[0] = '\0';
        if (device < 0) return invalid("xent_device_name", "device must be >= 0 (got " + num(device) + ")");
        cudaDeviceProp prop;
        cudaError_t e = cudaGetDeviceProperties(&prop, device);
        if (e != cudaSuccess) return from_cuda("xent_device_name", e);
        int64_t n = 0;
        const int64_t limit = (int64_t)sizeof(prop.name);
        while (n < limit && prop.name[n] != '\0' && n < capacity - 1) {
            name[n] = prop.name[n];
            ++n;
        }
        name[n] = '\0';
        return XENT_OK;
    });
}

XENT_API int32_t xent_set_device(int32_t device) {
    return guarded("xent_set_device", [&]() -> int32_t {
        if (device < 0) return invalid("xent_set_device", "device must be >= 0 (got " + num(device) + ")");
        return from_cuda("xent_set_device", cudaSetDevice(device));
    });
}

XENT_API int32_t xent_malloc(void** ptr, int64_t bytes) {
    return guarded("xent_malloc", [&]() -> int32_t {
        if (ptr == nullptr) return invalid("xent_malloc", "ptr is null");
        *ptr = nullptr;
        if (bytes < 0) return invalid("xent_malloc", "bytes must be >= 0 (got " + num(bytes) + ")");
        if (bytes == 0) return XENT_OK;
        void* p = nullptr;
        cudaError_t e = cudaMalloc(&p, (size_t)bytes);
        if (e != cudaSuccess) {
            cudaGetLastError();
            return from_cuda("xent_malloc", e);
        }
        *ptr = p;
        return XENT_OK;
    });
}

XENT_API int32_t xent_free(void* ptr) {
    return guarded("xent_free", [&]() -> int32_t {
        if (ptr == nullptr) return XENT_OK;
        return from_cuda("xent_free", cudaFree(ptr));
    });
}

XENT_API int32_t xent_copy_to_device(void* device_dst, const void* host_src, int64_t bytes, void* stream) {
    return guarded("xent_copy_to_device", [&]() -> int32_t {
        const char* fn = "xent_copy_to_device";
        if (bytes < 0) return invalid(fn, "bytes must be >= 0 (got " + num(bytes) + ")");
        if (bytes == 0) return XENT_OK;
        if (device_dst == nullptr) return invalid(fn, "device_dst is null");
        if (host_src == nullptr) return invalid(fn, "host_src is null");
        cudaStream_t s = as_stream(stream);
        XENT_TRY(from_cuda(fn, cudaMemcpyAsync(device_dst, host_src, (size_t)bytes, cudaMemcpyHostToDevice, s)));
        return from_cuda(fn, cudaStreamSynchronize(s));
    });
}

XENT_API int32_t xent_copy_to_host(void* host_dst, const void* device_src, int64_t bytes, void* stream) {
    return guarded("xent_copy_to_host", [&]() -> int32_t {
        const char* fn = "xent_copy_to_host";
        if (bytes < 0) return invalid(fn, "bytes must be >= 0 (got " + num(bytes) + ")");
        if (bytes == 0) return XENT_OK;
        if (host_dst == nullptr) return invalid(fn, "host_dst is null");
        if (device_src == nullptr) return invalid(fn, "device_src is null");
        cudaStream_t s = as_stream(stream);
        XENT_TRY(from_cuda(fn, cudaMemcpyAsync(host_dst, device_src, (size_t)bytes, cudaMemcpyDeviceToHost, s)));
        return from_cuda(fn, cudaStreamSynchronize(s));
    });
}

XENT_API int32_t xent_memset(void* device_ptr, int32_t value, int64_t bytes, void* stream) {
    return guarded("xent_memset", [&]() -> int32_t {
        const char* fn = "xent_memset";
        if (bytes < 0) return invalid(fn, "bytes must be >= 0 (got " + num(bytes) + ")");
        if (bytes == 0) return XENT_OK;
        if (device_ptr == nullptr) return invalid(fn, "device_ptr is null");
        return from_cuda(fn, cudaMemsetAsync(device_ptr, value, (size_t)bytes, as_stream(stream)));
    });
}

XENT_API int32_t xent_stream_synchronize(void* stream) {
    return guarded("xent_stream_synchronize", [&]() -> int32_t {
        return from_cuda("xent_stream_synchronize", cudaStreamSynchronize(as_stream(stream)));
    });
}

XENT_API int32_t xent_get_device(int32_t* device) {
    return guarded("xent_get_device", [&]() -> int32_t {
        if (device == nullptr) return invalid("xent_get_device", "device is null");
        int d = 0;
        XENT_TRY(from_cuda("xent_get_device", cudaGetDevice(&d)));
        *device = d;
        return XENT_OK;
    });
}

XENT_API int32_t xent_pointer_device(const void* ptr, int32_t* device) {
    return guarded("xent_pointer_device", [&]() -> int32_t {
        if (device == nullptr) return invalid("xent_pointer_device", "device is null");
        *device = -1;
        if (ptr == nullptr) return XENT_OK;
        cudaPointerAttributes attributes;
        cudaError_t e = cudaPointerGetAttributes(&attributes, ptr);
        if (e == cudaErrorInvalidValue) {  // an address CUDA has never seen: not device memory
            cudaGetLastError();
            return XENT_OK;
        }
        XENT_TRY(from_cuda("xent_pointer_device", e));
        if (attributes.type == cudaMemoryTypeDevice || attributes.type == cudaMemoryTypeManaged) {
            *device = attributes.device;
        }
        return XENT_OK;
    });
}

XENT_API int32_t xent_stream_create(void** stream) {
    return guarded("xent_stream_create", [&]() -> int32_t {
        if (stream == nullptr) return invalid("xent_stream_create", "stream is null");
        *stream = nullptr;
        cudaStream_t s = nullptr;
        XENT_TRY(from_cuda("xent_stream_create", cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking)));
        *stream = s;
        return XENT_OK;
    });
}

XENT_API int32_t xent_stream_destroy(void* stream) {
    return guarded("xent_stream_destroy", [&]() -> int32_t {
        if (stream == nullptr) return invalid("xent_stream_destroy", "stream is null (the default stream is not destroyed)");
        return from_cuda("xent_stream_destroy", cudaStreamDestroy(as_stream(stream)));
    });
}

XENT_API int32_t xent_stream_device(void* stream, int32_t* device) {
    return guarded("xent_stream_device", [&]() -> int32_t {
        if (device == nullptr) return invalid("xent_stream_device", "device is null");
        int d = 0;
        if (stream == nullptr) {
            XENT_TRY(from_cuda("xent_stream_device", cudaGetDevice(&d)));
        } else {
            XENT_TRY(from_cuda("xent_stream_device", cudaStreamGetDevice(as_stream(stream), &d)));
        }
        *device = d;
        return XENT_OK;
    });
}

XENT_API int64_t xent_synchronizing_calls(void) {
#if defined(XENT_EMULATOR)
    return xent_emu::synchronizing_calls();
#else
    return -1;
#endif
}

XENT_API int64_t xent_workspace_floats(int64_t rows, int64_t classes) {
    return xent::ce_workspace_floats(rows, classes);
}

// ---- cross-entropy and the softmax family ----------------------------------------------------

XENT_API int32_t xent_ce(int32_t pass, const xent_tensor* logits, const xent_targets* targets,
                         const xent_ce_options* options, const float* upstream, const xent_ce_outputs* outputs,
                         void* stream) {
    return guarded("xent_ce", [&]() -> int32_t { return run_ce(pass, logits, targets, options, upstream, outputs, stream); });
}

XENT_API int32_t xent_softmax(int32_t op, const xent_tensor* in, void* out, void* stream) {
    return guarded("xent_softmax", [&]() -> int32_t { return run_softmax(op, in, out, stream); });
}

}  // extern "C"
