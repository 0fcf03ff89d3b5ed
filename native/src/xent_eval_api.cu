// xent_eval_api.cu: the evaluation entry points of native/include/xent.h (per-row statistics for
// metrics and temperature calibration) over cuda/row_stats.cuh. Compiled like xent_api.cu: by nvcc
// into libxent_cuda.so and by the host compiler against the emulator into libxent_emu.so.
#include "api_support.h"
#include "row_stats.cuh"

#include <cmath>

namespace {

using namespace xent_api;

int32_t run_row_stats(const xent_tensor* logits, const xent_targets* targets, const xent_row_stats_options* o,
                      const xent_row_stats_outputs* out, void* stream) {
    const char* fn = "xent_row_stats";
    int64_t rows = 0;
    int lab64 = 0;
    XENT_TRY(check_tensor(fn, "logits", logits, &rows));
    XENT_TRY(check_class_targets(fn, targets, rows, &lab64));
    XENT_TRY(require(fn, o, "options"));
    XENT_TRY(require(fn, out, "outputs"));
    if (!(o->logit_scale > 0.0f) || std::isinf(o->logit_scale))
        return invalid(fn, "options.logit_scale must be finite and > 0 (got " + std::to_string(o->logit_scale) + ")");
    XENT_TRY(require(fn, out->stats, "outputs.stats", rows > 0));
    XENT_TRY(require(fn, out->indices, "outputs.indices", rows > 0));
    xent::RowStatsArgs A;
    A.logits = logits->data;
    A.labels = targets->data;
    A.lab64 = lab64;
    A.ignore_index = o->ignore_index;
    A.logit_scale = o->logit_scale;
    A.stats = out->stats;
    A.indices = out->indices;
    A.error_info = out->error_info;
    A.classes = logits->classes;
    A.inner = logits->inner;
    A.outer_stride = logits->outer_stride;
    A.rows = rows;
    return from_cuda(fn, by_dtype(logits->dtype, [&](auto tag) {
        return xent::launch_row_stats<typename decltype(tag)::type>(A, as_stream(stream));
    }));
}

}  // namespace

extern "C" {

XENT_API int32_t xent_row_stats(const xent_tensor* logits, const xent_targets* targets,
                                const xent_row_stats_options* options, const xent_row_stats_outputs* outputs,
                                void* stream) {
    return guarded("xent_row_stats", [&]() -> int32_t { return run_row_stats(logits, targets, options, outputs, stream); });
}

}  // extern "C"
