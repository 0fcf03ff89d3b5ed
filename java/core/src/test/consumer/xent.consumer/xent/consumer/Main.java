package xent.consumer;

import dev.xent.Engines;
import dev.xent.Logits;
import dev.xent.Targets;
import dev.xent.Xent;

/**
 * Args: rows, classes, the row-major logits, then one label per row. Prints every engine's status
 * line, the automatic choice, and the mean cross-entropy on the java engine.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        int rows = Integer.parseInt(args[0]);
        int classes = Integer.parseInt(args[1]);
        float[] logits = new float[rows * classes];
        for (int i = 0; i < logits.length; i++) logits[i] = Float.parseFloat(args[2 + i]);
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) labels[i] = Integer.parseInt(args[2 + logits.length + i]);

        for (Engines.Status s : Engines.report()) {
            System.out.println("engine " + s.name() + " available=" + s.available() + ": " + s.detail());
        }
        System.out.println("auto: " + Xent.auto().selectionReason());
        float loss = Xent.engine("java").crossEntropy()
                .forward(Logits.of(logits, rows, classes), Targets.classes(labels)).value();
        System.out.println("loss " + loss);
    }
}
