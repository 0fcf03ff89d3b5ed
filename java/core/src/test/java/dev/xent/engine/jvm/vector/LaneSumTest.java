package dev.xent.engine.jvm.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link VectorKernels#sumLanes} adds in one order whether it runs interpreted or compiled. The
 * lanes are chosen so that orders disagree: cancelling 2^24-sized values next to small ones.
 */
class LaneSumTest {

    @BeforeAll
    static void vectorApi() {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "jdk.incubator.vector is not present; pass --add-modules jdk.incubator.vector");
    }

    private static float[] orderSensitiveLanes() {
        float[] lanes = new float[VectorKernels.L];
        for (int i = 0; i < lanes.length; i++) lanes[i] = i % 2 == 0 ? (i % 4 == 0 ? 0x1p24f : -0x1p24f) : 1.5f + i;
        return lanes;
    }

    @Test
    void theLanesDisagreeUnderDifferentOrders() {
        float[] lanes = orderSensitiveLanes();
        float forward = 0, backward = 0;
        for (float x : lanes) forward += x;
        for (int i = lanes.length - 1; i >= 0; i--) backward += lanes[i];
        float firstBig = lanes[0];
        float smallFirst = 0;
        for (int i = 1; i < lanes.length; i += 2) smallFirst += lanes[i];
        smallFirst += firstBig;
        assertNotEquals(Float.floatToIntBits(forward), Float.floatToIntBits(smallFirst),
                "the test vector must be sensitive to the order of the additions");
    }

    @Test
    void sameBitsBeforeAndAfterCompilation() {
        FloatVector v = FloatVector.fromArray(VectorKernels.F, orderSensitiveLanes(), 0);
        int first = Float.floatToIntBits(VectorKernels.sumLanes(v));
        for (int round = 0; round < 200_000; round++) {
            int bits = Float.floatToIntBits(VectorKernels.sumLanes(v));
            if (bits != first) {
                assertEquals(first, bits, "sumLanes changed its result at call " + round + " (compilation changed the order)");
            }
        }
    }
}
