package dev.xent.cli;

import java.util.List;
import java.util.stream.Collectors;

/** The ops {@code xent loss --op} knows. */
final class LossOps {
    private static final List<LossOp> ALL = List.of(new CrossEntropyOp(), new NllOp(), new KlOp(), new DistillOp(),
            new BceOp(), new GaussianNllOp(), new LaplaceNllOp(), new PoissonNllOp());

    private LossOps() {}

    static List<LossOp> all() {
        return ALL;
    }

    /** The op of that name; an unknown name is a {@link UserError} listing the known ones. */
    static LossOp named(String name) {
        for (LossOp op : ALL) {
            if (op.name().equals(name)) return op;
        }
        throw new UserError("unknown --op '" + name + "'; known ops: " + names());
    }

    static String names() {
        return ALL.stream().map(LossOp::name).collect(Collectors.joining(", "));
    }
}
