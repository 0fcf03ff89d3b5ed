// xent_eval_api.cu: the evaluation entry points of native/include/xent.h (per-row statistics for
// metrics and temperature calibration) over cuda/row_stats.cuh. Compiled like xent_api.cu: by nvcc
// into libxent_cuda.so and by the host compiler against the emulator into libxent_emu.so.
#include "api_support.h"
#include "row_stats.cuh"

#include <cmath>

namespace {

using namespace xent_api;

cudaError_t row_stats_dispatch(int32_t dtype, const xent::RowStatsArgs& A, cudaStream_t st) {
    switch (dtype) {
        case XENT_F32: return xent::launch_row_stats<float>(A, st);
        case XENT_BF16: return xent::launch_row_stats<xent::bf16>(A, st);
        default: return xent::launch_row_stats<xent::f16>(A, st);
    }
}

}  // namespace

extern "C" {

XENT_API int32_t xent_row_stats(int32_t dtype, const void* logits, int64_t outer, int64_t classes, int64_t inner,
                                int64_t outer_stride, int32_t label_type, const void* labels, int64_t ignore_index,
                                float scale, float* stats, int64_t* indices, int64_t* error_info, void* stream) {
    const char* fn = "xent_row_stats";
    return guarded(fn, [&]() -> int32_t {
        int64_t rows = 0;
        XENT_TRY(check_dtype(fn, dtype));
        XENT_TRY(check_layout(fn, outer, classes, inner, outer_stride, &rows));
        if (label_type != XENT_I32 && label_type != XENT_I64)
            return invalid(fn, "label_type: unknown value " + num(label_type));
        if (!(scale > 0.0f) || std::isinf(scale))
            return invalid(fn, "scale must be finite and > 0 (got " + std::to_string(scale) + ")");
        if (rows > 0) {
            if (logits == nullptr) return invalid(fn, "logits is null");
            if (labels == nullptr) return invalid(fn, "labels is null");
            if (stats == nullptr) return invalid(fn, "stats is null");
            if (indices == nullptr) return invalid(fn, "indices is null");
        }
        xent::RowStatsArgs A;
        A.x = logits;
        A.labels = labels;
        A.lab64 = label_type == XENT_I64 ? 1 : 0;
        A.ignore_index = ignore_index;
        A.scale = scale;
        A.stats = stats;
        A.indices = indices;
        A.err = error_info;
        A.C = classes;
        A.inner = inner;
        A.ostride = outer_stride;
        A.rows = rows;
        return from_cuda(fn, row_stats_dispatch(dtype, A, as_stream(stream)));
    });
}

}  // extern "C"
