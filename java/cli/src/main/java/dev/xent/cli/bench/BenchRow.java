package dev.xent.cli.bench;

/**
 * One row of results.json: an engine (or peer) running one op on one shape.
 *
 * @param engine     java, java-scalar, naive, libtorch-autograd, libtorch-prealloc, onnxruntime
 * @param op         forward, forward_backward or backward
 * @param threads    threads used (resolved: all cores is the core count)
 * @param ms         time per operation: the median of the JMH measurement iterations
 * @param msError    JMH's 99.9% confidence half-width of their mean (the noise)
 * @param floorMs    the floor measured in the same run for the same bytes and threads: a parallel
 *                   read (forward) or copy (forward_backward, backward); NaN if not measured
 * @param bestPeer   the fastest peer (libtorch, ONNX Runtime, naive loop) for this op, shape and dtype; null if none ran
 * @param bestPeerMs its time
 */
public record BenchRow(String engine, String op, int n, int c, String dtype, int threads, double ms, double msError,
        double floorMs, String bestPeer, double bestPeerMs) {

    public double perFloor() {
        return ms / floorMs;
    }

    public double perBestPeer() {
        return bestPeer == null ? Double.NaN : ms / bestPeerMs;
    }

    /** Nanoseconds per logit. */
    public double nsPerElement() {
        return ms * 1e6 / ((double) n * c);
    }

    public boolean isPeer() {
        return BenchResults.PEER_ENGINES.contains(engine);
    }
}
