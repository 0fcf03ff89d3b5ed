package dev.xent.cli;

import dev.xent.eval.Reliability;
import dev.xent.eval.TemperatureScaling;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;

/**
 * Reliability diagrams before and after temperature scaling, side by side: per confidence bin the
 * accuracy as a bar, and the diagonal (accuracy = bin centre: perfect calibration) as a line.
 * Empty bins draw no bar.
 */
final class ReliabilityPlot {
    private ReliabilityPlot() {}

    static void write(TemperatureScaling.Fit fit, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<CategoryChart> charts = List.of(
                chart("before (T = 1)", fit.before().reliability(), fit.before().ece()),
                chart(String.format(Locale.ROOT, "after (T = %.4f)", fit.temperature()), fit.after().reliability(), fit.after().ece()));
        BitmapEncoder.saveBitmap(charts, 1, 2, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static CategoryChart chart(String title, Reliability r, double ece) {
        CategoryChart chart = new CategoryChartBuilder().width(560).height(520)
                .title(String.format(Locale.ROOT, "%s, ECE %.4f", title, ece))
                .xAxisTitle("confidence (bin centre)").yAxisTitle("accuracy").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(1.0);
        chart.getStyler().setOverlapped(true);
        chart.getStyler().setXAxisLabelRotation(90);
        int bins = r.bins();
        List<String> centres = new ArrayList<>();
        List<Double> accuracy = new ArrayList<>();
        List<Double> diagonal = new ArrayList<>();
        for (int b = 0; b < bins; b++) {
            double centre = (b + 0.5) / bins;
            centres.add(String.format(Locale.ROOT, "%.2f", centre));
            accuracy.add(r.counts()[b] > 0 ? r.accuracy()[b] : 0.0);
            diagonal.add(centre);
        }
        chart.addSeries("accuracy", centres, accuracy);
        chart.addSeries("perfect calibration", centres, diagonal)
                .setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        return chart;
    }
}
