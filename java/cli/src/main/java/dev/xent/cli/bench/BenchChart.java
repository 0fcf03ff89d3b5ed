package dev.xent.cli.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Time per element against C (log axis), one line per engine at its thread count, and the floor
 * measured in the same run dashed: one PNG per op and dtype.
 */
public final class BenchChart {
    private BenchChart() {}

    /** Writes chart-&lt;op&gt;-&lt;dtype&gt;.png for each op and dtype that has rows; returns the files. */
    public static List<Path> write(BenchResults results, Path dir, int cores) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Path> files = new ArrayList<>();
        for (String op : BenchResults.OPS) {
            for (String dtype : List.of("f32", "bf16")) {
                List<BenchRow> rows = results.rows().stream().filter(r -> r.op().equals(op) && r.dtype().equals(dtype)).toList();
                if (rows.isEmpty()) continue;
                Path png = dir.resolve("chart-" + op + "-" + dtype + ".png");
                write(rows, op, dtype, cores, png);
                files.add(png);
            }
        }
        return files;
    }

    private static void write(List<BenchRow> rows, String op, String dtype, int cores, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(960).height(600)
                .title("xent " + op + ", " + dtype + ": time per logit vs classes C (floor dashed)")
                .xAxisTitle("classes C (rows N: 16 to 65536, see results.json)").yAxisTitle("ns per logit").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        Map<String, TreeMap<Integer, Double>> lines = new TreeMap<>();
        TreeMap<Integer, Double> floor = new TreeMap<>();
        for (BenchRow r : rows) {
            String name = r.engine() + (r.threads() == cores ? "" : ", " + r.threads() + " thread" + (r.threads() == 1 ? "" : "s"));
            lines.computeIfAbsent(name, k -> new TreeMap<>()).put(r.c(), r.nsPerElement());
            if (r.threads() == cores && !Double.isNaN(r.floorMs())) floor.put(r.c(), r.floorMs() * 1e6 / ((double) r.n() * r.c()));
        }
        for (Map.Entry<String, TreeMap<Integer, Double>> e : lines.entrySet()) {
            add(chart, e.getKey(), e.getValue()).setMarker(SeriesMarkers.CIRCLE);
        }
        if (!floor.isEmpty()) {
            XYSeries f = add(chart, "floor (" + (op.equals("forward") ? "read" : "read+write") + ", " + cores + " threads)", floor);
            f.setMarker(SeriesMarkers.DIAMOND);   // a single C (--quick) has no line to dash
            f.setMarkerColor(Color.BLACK);
            f.setLineColor(Color.BLACK);
            f.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f));
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static XYSeries add(XYChart chart, String name, TreeMap<Integer, Double> points) {
        double[] x = new double[points.size()];
        double[] y = new double[points.size()];
        int i = 0;
        for (Map.Entry<Integer, Double> p : points.entrySet()) {
            x[i] = p.getKey();
            y[i++] = p.getValue();
        }
        return chart.addSeries(name, x, y);
    }
}
