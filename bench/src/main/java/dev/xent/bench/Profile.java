package dev.xent.bench;

import dev.xent.CrossEntropy;
import dev.xent.DType;
import dev.xent.Logits;
import dev.xent.Targets;
import dev.xent.Xent;
import dev.xent.engine.jvm.JavaEngine;

/**
 * A plain loop over one op of the Java engine, for profilers (JFR, async-profiler) and quick
 * per-call timings outside JMH:
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx6g -XX:StartFlightRecording=filename=fb.jfr,settings=profile \
 *      -cp java/cli/target/xent-cli.jar dev.xent.bench.Profile forward_backward 4096x32768 f32 0 20
 * jfr print --events jdk.ExecutionSample fb.jfr
 * </pre>
 *
 * Arguments: op (forward | forward_backward | backward), shape NxC, dtype (f32 | bf16), threads
 * (0: all cores), seconds, and optionally "scalar". Prints each call's time.
 */
public final class Profile {
    private Profile() {}

    public static void main(String[] args) {
        String op = args.length > 0 ? args[0] : "forward_backward";
        Shape s = Shape.parse(args.length > 1 ? args[1] : "4096x32768");
        DType dt = Inputs.dtype(args.length > 2 ? args[2] : "f32");
        int threads = Inputs.threads(args.length > 3 ? Integer.parseInt(args[3]) : 0);
        double seconds = args.length > 4 ? Double.parseDouble(args[4]) : 10;
        JavaEngine e = args.length > 5 && args[5].equals("scalar") ? JavaEngine.scalar() : JavaEngine.create();
        CrossEntropy ce = Xent.of(e.withThreads(threads)).crossEntropy();
        Logits z = dt == DType.F32 ? Logits.of(Inputs.logitsF32(s), s.n(), s.c()) : Logits.ofBf16(Inputs.logitsBf16(s), s.n(), s.c());
        Logits g = dt == DType.F32 ? Logits.of(new float[(int) s.elements()], s.n(), s.c())
                : Logits.ofBf16(new short[(int) s.elements()], s.n(), s.c());
        Targets y = Targets.classes(Inputs.labels(s));
        float[] lse = ce.forward(z, y).lse();
        System.out.println(ce.engine().description() + ", " + op + " " + s + " " + dt);
        long end = System.nanoTime() + (long) (seconds * 1e9);
        double best = Double.MAX_VALUE;
        int calls = 0;
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            switch (op) {
                case "forward" -> ce.forward(z, y);
                case "forward_backward" -> ce.forwardBackward(z, y, g);
                case "backward" -> ce.backward(z, y, lse, 1f, g);
                default -> throw new IllegalArgumentException("op must be forward, forward_backward or backward");
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            best = Math.min(best, ms);
            calls++;
            System.out.printf("%.2f ms%n", ms);
        }
        System.out.printf("%d calls, best %.2f ms%n", calls, best);
    }
}
