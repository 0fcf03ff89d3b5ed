package dev.xent.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The demo's loss curve as a PNG: per-step batch loss, per-epoch held-out loss, and the count-based floor. */
final class LossPlot {
    private LossPlot() {}

    static void write(TrainingHistory history, double trainFloor, String title, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(960).height(560).title(title)
                .xAxisTitle("step (mini-batch)").yAxisTitle("cross-entropy, nats per character").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setXAxisTickMarkSpacingHint(90);

        List<Float> steps = history.stepLosses();
        double[] x = new double[steps.size()];
        double[] y = new double[steps.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = i + 1;
            y[i] = steps.get(i);
        }
        chart.addSeries("train, each batch", x, y).setMarker(SeriesMarkers.NONE);

        List<TrainingHistory.Epoch> epochs = history.epochs();
        double[] ex = new double[epochs.size() + 1];
        double[] ey = new double[epochs.size() + 1];
        ex[0] = 0;
        ey[0] = history.initialHeldOutLoss();
        for (int i = 0; i < epochs.size(); i++) {
            ex[i + 1] = epochs.get(i).lastStep();
            ey[i + 1] = epochs.get(i).heldOutLoss();
        }
        double[] tx = new double[epochs.size()];
        double[] ty = new double[epochs.size()];
        for (int i = 0; i < epochs.size(); i++) {
            tx[i] = epochs.get(i).lastStep();
            ty[i] = epochs.get(i).trainLoss();
        }
        if (tx.length > 0) chart.addSeries("train, mean of each epoch", tx, ty).setMarker(SeriesMarkers.DIAMOND);
        chart.addSeries("held-out, after each epoch", ex, ey).setMarker(SeriesMarkers.CIRCLE);
        chart.addSeries("best bigram model of the training text", new double[] {0, Math.max(1, x.length)},
                new double[] {trainFloor, trainFloor}).setMarker(SeriesMarkers.NONE);

        Path dir = png.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
