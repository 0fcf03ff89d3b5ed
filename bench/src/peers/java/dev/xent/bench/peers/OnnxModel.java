package dev.xent.bench.peers;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The one-node ONNX model ORT runs, encoded here as protobuf bytes (a few hundred) so that no
 * .onnx file and no ONNX tooling is needed: inputs z (float, [N, C]) and y (int64, [N]), one
 * SoftmaxCrossEntropyLoss node (opset 13, reduction "mean"), output loss (float scalar).
 * Field numbers from onnx/onnx.proto.
 */
final class OnnxModel {
    private OnnxModel() {}

    private static final int FLOAT = 1;
    private static final int INT64 = 7;

    static byte[] softmaxCrossEntropy() {
        byte[] node = msg(
                str(1, "z"), str(1, "y"), str(2, "loss"), str(3, "sce"), str(4, "SoftmaxCrossEntropyLoss"),
                bytes(5, msg(str(1, "reduction"), str(4, "mean"), varint(20, 3))));
        byte[] graph = msg(
                bytes(1, node), str(2, "xent_bench"),
                bytes(11, valueInfo("z", FLOAT, "N", "C")),
                bytes(11, valueInfo("y", INT64, "N")),
                bytes(12, valueInfo("loss", FLOAT)));
        return msg(
                varint(1, 8),                                   // ir_version
                str(2, "xent-bench"),                           // producer_name
                bytes(7, graph),
                bytes(8, msg(str(1, ""), varint(2, 13))));      // opset_import: default domain, 13
    }

    private static byte[] valueInfo(String name, int elemType, String... dims) {
        ByteArrayOutputStream shape = new ByteArrayOutputStream();
        for (String d : dims) shape.writeBytes(bytes(1, msg(str(2, d))));
        byte[] tensor = msg(varint(1, elemType), bytes(2, shape.toByteArray()));
        return msg(str(1, name), bytes(2, msg(bytes(1, tensor))));
    }

    private static byte[] msg(byte[]... fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] f : fields) out.writeBytes(f);
        return out.toByteArray();
    }

    private static byte[] varint(int field, long value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeVarint(out, (long) field << 3);
        writeVarint(out, value);
        return out.toByteArray();
    }

    private static byte[] str(int field, String s) {
        return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] bytes(int field, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeVarint(out, ((long) field << 3) | 2);
        writeVarint(out, b.length);
        out.writeBytes(b);
        return out.toByteArray();
    }

    private static void writeVarint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
