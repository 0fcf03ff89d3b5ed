#!/usr/bin/env bash
# The GPU script: on a machine with an NVIDIA GPU, nvcc, CMake and Python with PyTorch (no JDK, no
# network needed), it builds libxent_cuda.so, runs the C++ kernel tests on the GPU and under
# compute-sanitizer (memcheck, racecheck), the Java cross-check suite on the `cuda` engine with the
# runtime bench/gpu/bundle.sh packed, `xent loss` for every op against PyTorch on every engine
# (loss_vs_torch.py, family_vs_torch.py), and the fused forward+backward benchmark against PyTorch.
#
#   bench/gpu/run.sh             everything, on a GPU
#   bench/gpu/run.sh --dry-run   everything up to the GPU, on a machine without one
#   --no-bench / --bench-only    the checks alone, or the benchmark alone over an earlier build
#
# Logs go to $OUT (or bench/gpu/out); the last lines printed are the summary and the results table.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here="$root/bench/gpu"
out="${OUT:-$here/out}"
dry_run=0
checks=1
bench=1
bench_args=()
for arg in "$@"; do
    case "$arg" in
        --dry-run) dry_run=1 ;;
        --quick) bench_args+=(--quick) ;;
        --no-bench) bench=0 ;;
        --bench-only) checks=0 ;;
        *) echo "run.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
done
mkdir -p "$out"
build="${XENT_GPU_BUILD:-$root/build-gpu}"
summary=()
failed=0

step() { # step NAME COMMAND...: runs it with its log in $out/NAME.log and records the outcome
    local name=$1; shift
    local start=$SECONDS
    "$@" >"$out/$name.log" 2>&1
    local rc=$?
    if [ $rc -eq 0 ]; then summary+=("ok    $name ($((SECONDS - start)) s)")
    else summary+=("FAIL  $name (exit $rc, $((SECONDS - start)) s; see $name.log)"); failed=1; tail -n 30 "$out/$name.log"; fi
    return $rc
}
skip() { summary+=("skip  $1 ($2)"); }

info() {
    date -u; uname -a
    nvidia-smi || echo "no nvidia-smi"
    nvcc --version; cmake --version | head -n 1
    python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "gpu", torch.cuda.is_available())' || true
}

build_native() {
    cmake -S "$root" -B "$build" -DXENT_CUDA=ON -DCMAKE_BUILD_TYPE=Release &&
        cmake --build "$build" -j"$(nproc)" &&
        { [ ! -f "$build/ptxas-report.txt" ] || cp "$build/ptxas-report.txt" "$out/"; }
}

abi_checks() {
    local cudalib="$build/lib/libxent_cuda.so" emulib="$build/lib/libxent_emu.so"
    nm -D --defined-only "$cudalib" | awk '$3 ~ /^xent_/ {print $3}' | sort >"$out/symbols-cuda.txt"
    nm -D --defined-only "$emulib" | awk '$3 ~ /^xent_/ {print $3}' | sort >"$out/symbols-emu.txt"
    diff "$out/symbols-cuda.txt" "$out/symbols-emu.txt" && echo "same $(wc -l <"$out/symbols-cuda.txt") xent_* symbols in both libraries"
    if ldd "$cudalib" | grep -q libcudart; then echo "libxent_cuda.so links libcudart dynamically"; return 1; fi
    echo "libxent_cuda.so: no dynamic libcudart"; ldd "$cudalib"
    if grep -E '(^|[^0-9])[1-9][0-9]* bytes spill' "$build/ptxas-report.txt"; then echo "ptxas reports spills"; return 1; fi
    echo "ptxas: 0 bytes spilled in every kernel"
}

kernel_binary() { find "$build" -name "$1" -type f -perm -u+x | head -n 1; }

java_suite() { # the engine-parameterised Java suite, every engine that loads (cuda included on a GPU)
    local b="$here/bundle"
    "$b/jre/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
        -Dxent.library.path="$build/lib" \
        -jar "$b/junit-platform-console-standalone.jar" execute \
        --class-path "$b/classes:$b/test-classes:$(ls "$b"/lib/*.jar | tr '\n' ':')" \
        --scan-class-path "$b/test-classes" --config=jqwik.database="$out/jqwik-database" --details=summary --disable-banner
}

vs_torch() { # vs_torch SCRIPT: `xent loss` on every engine against PyTorch in float64
    JAVA_TOOL_OPTIONS="-Dxent.library.path=$build/lib" python3 "$here/$1" --java "$here/bundle/jre/bin/java" \
        --jar "$here/bundle/xent-cli.jar" --engines java,cuda,cuda-emu
}

step info info
if [ $dry_run -eq 1 ]; then
    build="${XENT_GPU_BUILD:-$root/build-gpu-dry}"
fi
if [ $checks -eq 1 ] && step build build_native; then
    step abi abi_checks
    # the ctypes mirror bench_ce.py uses, checked on the emulator build before any timing trusts it
    step ctypes-mirror python3 "$here/xent_abi.py" --lib "$build/lib/libxent_emu.so"
    if [ $dry_run -eq 1 ]; then
        step ctest ctest --test-dir "$build" --output-on-failure -LE gpu
        skip memcheck "dry run"; skip racecheck "dry run"
    else
        step ctest ctest --test-dir "$build" --output-on-failure
        for family in ce softmax nll distill elementwise row_stats; do
            kernels=$(kernel_binary "test_${family}_cuda")
            step "memcheck-$family" env XENT_TEST_QUICK=1 timeout 60 compute-sanitizer --tool memcheck --error-exitcode 1 "$kernels"
            step "racecheck-$family" env XENT_TEST_QUICK=1 timeout 60 compute-sanitizer --tool racecheck --error-exitcode 1 "$kernels"
        done
    fi
    if [ -x "$here/bundle/jre/bin/java" ]; then step java-suite java_suite; else skip java-suite "no bundle: run bench/gpu/bundle.sh first"; fi
    if [ $dry_run -eq 1 ]; then
        step vs-torch-syntax python3 -m py_compile "$here/loss_vs_torch.py" "$here/family_vs_torch.py"
    elif [ -f "$here/bundle/xent-cli.jar" ]; then
        step ce-vs-torch vs_torch loss_vs_torch.py
        step family-vs-torch vs_torch family_vs_torch.py
    else
        skip vs-torch "no xent-cli.jar in the bundle: run bench/gpu/bundle.sh first"
    fi
fi
if [ $bench -eq 1 ] && [ -f "$build/lib/libxent_cuda.so" ] || [ $dry_run -eq 1 ]; then
    if [ $dry_run -eq 1 ]; then
        step bench-syntax python3 -m py_compile "$here/bench_ce.py" "$here/xent_abi.py"
    else
        PYTHONUNBUFFERED=1 step bench python3 "$here/bench_ce.py" --lib "$build/lib/libxent_cuda.so" --json "$out/bench.json" "${bench_args[@]}"
    fi
fi

echo
echo "== bench/gpu/run.sh summary =="
printf '%s\n' "${summary[@]}"
[ -f "$out/java-suite.log" ] && grep -E "tests (successful|failed|skipped|found)" "$out/java-suite.log"
for f in ce-vs-torch family-vs-torch; do [ -f "$out/$f.log" ] && grep "largest relative error" "$out/$f.log"; done
[ -f "$out/bench.log" ] && sed -n '/^| N /,$p' "$out/bench.log"
exit $failed
