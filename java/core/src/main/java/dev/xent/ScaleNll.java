package dev.xent;

import dev.xent.ElementwiseRun.Extras;
import dev.xent.engine.ElementwiseLossCall.Broadcast;
import dev.xent.engine.ElementwiseLossCall.Op;
import dev.xent.engine.Engine;
import java.util.Objects;

/**
 * The options and the call of a negative log-likelihood with a location (the input) and a
 * spread (variance or scale) argument: what {@link GaussianNll} and {@link LaplaceNll} share.
 */
record ScaleNll(Op op, String spreadName, Engine engine, boolean full, float eps, Reduction reduction) {

    ScaleNll withEngine(Engine e) {
        return new ScaleNll(op, spreadName, Objects.requireNonNull(e, "engine"), full, eps, reduction);
    }

    ScaleNll withFull(boolean f) {
        return new ScaleNll(op, spreadName, engine, f, eps, reduction);
    }

    ScaleNll withEps(double e) {
        if (!(e > 0 && e < Float.MAX_VALUE)) throw new IllegalArgumentException("eps must be positive and finite, got " + e);
        return new ScaleNll(op, spreadName, engine, full, (float) e, reduction);
    }

    ScaleNll withReduction(Reduction r) {
        return new ScaleNll(op, spreadName, engine, full, eps, Objects.requireNonNull(r, "reduction"));
    }

    ElementwiseLoss run(DenseTensor input, DenseTensor target, float[] spread, DenseTensor grad, float[] spreadGrad,
            float[] upstream) {
        Objects.requireNonNull(input, "input");
        Broadcast b = ElementwiseRun.auxBroadcast(spreadName, spread, input);
        if (spreadGrad != null && grad == null) throw new IllegalArgumentException(spreadName + " gradient needs the input's gradient");
        Extras x = new Extras(null, Broadcast.PER_ELEMENT, null, spread, b, spreadGrad, full, false, eps);
        return ElementwiseRun.run(engine, op, reduction, input, target, grad, upstream, x);
    }
}
