package io.switchyard.bench;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * docs/benchmarks.png: one grouped bar chart, every metric normalised so nginx = 1.0 and higher is
 * better (latency, CPU and memory are inverted), so "where do we stand" is one glance. Drawn with
 * java.awt in headless mode: no plotting tool to install.
 */
final class Chart {
    private Chart() {
    }

    record Metric(String label, String scenario, String field, boolean higherIsBetter) {
    }

    static final List<Metric> METRICS = List.of(
            new Metric("A 32 B msg/s", "A-32", "perSecond", true),
            new Metric("A 1 KiB msg/s", "A-1024", "perSecond", true),
            new Metric("A 16 KiB msg/s", "A-16384", "perSecond", true),
            new Metric("A 1 KiB CPU/msg", "A-1024", "proxy_cpu_us_per_op", false),
            new Metric("B p99 @ fixed rate", "B", "p99Us", false),
            new Metric("C handshakes/s", "C", "perSecond", true),
            new Metric("D bytes/idle tunnel", "D", "bytes_per_tunnel", false),
            new Metric("E HTTP req/s", "E", "perSecond", true),
            new Metric("F 100k routes msg/s", "F-100k", "perSecond", true));
    static final List<String> TARGETS = List.of("switchyard", "nginx", "haproxy", "caddy");
    static final Color[] COLORS = {new Color(0xD62728), new Color(0x2CA02C), new Color(0x1F77B4), new Color(0x9467BD)};
    static final double CAP = 3.0;

    static void write(Report r, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 1400, h = 740, left = 70, right = 30, top = 100, bottom = 120;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 20));
        g.drawString("Switchyard vs nginx, HAProxy, Caddy: relative to nginx = 1.0, higher is better", left, 32);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString("Medians of the bench/run.sh rounds; latency, CPU per message and memory per tunnel are inverted"
                + " (nginx / target). Bars above " + CAP + " are clipped; the label is the true value. Missing bar = not measured.",
                left, 54);
        int invalid = r.invalidCells(), total = r.totalCells();
        if (invalid > 0) {
            g.setColor(new Color(0xB00000));
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            g.drawString(invalid + " of " + total + " measured cells were invalid (errors, missing connections or other"
                    + " programs using the CPU); see \"Validity flags\" in benchmarks.md before quoting a bar.", left, 72);
            g.setColor(Color.BLACK);
        }
        int plotH = h - top - bottom, plotW = w - left - right;
        // Axis and grid.
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (double v = 0; v <= CAP + 1e-9; v += 0.5) {
            int y = top + plotH - (int) (v / CAP * plotH);
            g.setColor(v == 1.0 ? Color.DARK_GRAY : new Color(0xE0E0E0));
            g.setStroke(v == 1.0 ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f)
                    : new BasicStroke(1f));
            g.drawLine(left, y, left + plotW, y);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%.1f", v), left - 35, y + 4);
        }
        g.setStroke(new BasicStroke(1f));
        int groups = METRICS.size();
        double groupW = (double) plotW / groups;
        double barW = groupW * 0.8 / TARGETS.size();
        for (int i = 0; i < groups; i++) {
            Metric m = METRICS.get(i);
            Double base = r.med("nginx", m.scenario(), m.field());
            for (int t = 0; t < TARGETS.size(); t++) {
                Double v = r.med(TARGETS.get(t), m.scenario(), m.field());
                if (v == null || base == null || v == 0 || base == 0) continue;
                double rel = m.higherIsBetter() ? v / base : base / v;
                int x = (int) (left + i * groupW + groupW * 0.1 + t * barW);
                int bh = (int) (Math.min(rel, CAP) / CAP * plotH);
                g.setColor(COLORS[t]);
                g.fillRect(x, top + plotH - bh, (int) barW - 2, bh);
                g.setColor(Color.BLACK);
                String label = String.format(Locale.ROOT, "%.2f", rel);
                g.drawString(label, x + (int) (barW / 2) - g.getFontMetrics().stringWidth(label) / 2 - 1, top + plotH - bh - 4);
            }
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
            String lab = m.label();
            int lx = (int) (left + i * groupW + groupW / 2 - g.getFontMetrics().stringWidth(lab) / 2.0);
            g.drawString(lab, lx, top + plotH + 20);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            String sub = m.higherIsBetter() ? "(higher is better)" : "(inverted)";
            g.drawString(sub, (int) (left + i * groupW + groupW / 2 - g.getFontMetrics().stringWidth(sub) / 2.0), top + plotH + 36);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        }
        g.drawLine(left, top + plotH, left + plotW, top + plotH);
        // Legend.
        int lx = left;
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        for (int t = 0; t < TARGETS.size(); t++) {
            g.setColor(COLORS[t]);
            g.fillRect(lx, h - 50, 18, 18);
            g.setColor(Color.BLACK);
            String name = TARGETS.get(t) + (r.has(TARGETS.get(t)) ? "" : " (not measured)");
            g.drawString(name, lx + 24, h - 36);
            lx += 40 + g.getFontMetrics().stringWidth(name) + 30;
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }
}
