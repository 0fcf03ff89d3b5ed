// abi.h: builders of the xent.h argument structs for the native tests, so each test names what it
// varies and nothing else.
#pragma once

#include "xent.h"

namespace abi {

inline xent_tensor tensor(int32_t dtype, const void* data, int64_t outer, int64_t classes, int64_t inner,
                          int64_t outer_stride) {
    return xent_tensor{const_cast<void*>(data), dtype, outer, classes, inner, outer_stride};
}
// A dense tensor of count elements whose last axis has `last` entries (the element-wise losses).
inline xent_tensor dense(int32_t dtype, const void* data, int64_t count, int64_t last) {
    return tensor(dtype, data, last > 0 ? count / last : 0, last, 1, last);
}
inline xent_targets class_targets(int32_t index_type, const void* data) {
    return xent_targets{XENT_TARGET_CLASSES, index_type, data};
}
inline xent_targets probability_targets(const void* data) {
    return xent_targets{XENT_TARGET_PROBABILITIES, XENT_I32, data};
}
inline xent_ce_options ce_options(const float* weight, int64_t ignore_index, float label_smoothing, float logit_scale,
                                  float softcap, float z_loss, int32_t reduction) {
    return xent_ce_options{weight, ignore_index, label_smoothing, logit_scale, softcap, z_loss, reduction};
}
inline xent_ce_outputs ce_outputs(void* grad, float* row_loss, float* row_z_loss, float* lse, float* workspace,
                                  int64_t* error_info) {
    return xent_ce_outputs{grad, row_loss, row_z_loss, lse, workspace, error_info};
}

}  // namespace abi
