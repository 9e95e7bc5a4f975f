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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/**
 * docs/benchmarks.png: one grouped bar chart, every metric normalised so nginx = 1.0 and higher is
 * better (latency, CPU and memory are inverted), so "where do we stand" is one glance. Drawn with
 * java.awt in headless mode: no plotting tool to install.
 */
final class Chart {
    private Chart() {
    }

    /** One group of bars: a label and each target's value relative to nginx (higher is better). */
    record Group(String label, boolean inverted, Map<String, Double> rel) {
    }

    /** Every valid headline row, then proxy CPU per operation (inverted), relative to nginx. */
    static List<Group> groups(Report r) {
        List<Group> out = new ArrayList<>();
        for (Report.Row row : Report.ROWS) {
            Double base = r.value(row, "nginx");
            Map<String, Double> rel = new LinkedHashMap<>();
            for (String t : TARGETS) {
                Double v = r.value(row, t);
                if (v == null || base == null || v == 0 || base == 0) continue;
                rel.put(t, row.higherIsBetter() ? v / base : base / v);
            }
            if (!rel.isEmpty()) out.add(new Group(short_(row.label()), !row.higherIsBetter(), rel));
        }
        for (String sc : Report.LOAD_SCENARIOS) {
            Report.Cost base = r.cost("nginx", sc);
            Map<String, Double> rel = new LinkedHashMap<>();
            boolean approx = base != null && base.approximate();
            for (String t : TARGETS) {
                Report.Cost v = r.cost(t, sc);
                if (v == null || base == null || v.value() == 0) continue;
                rel.put(t, base.value() / v.value());
                approx |= v.approximate();
            }
            if (!rel.isEmpty()) out.add(new Group((approx ? "≈ " : "") + "CPU/op " + sc.replace("echo-1024", "echo-1k").replace("echo-16384", "echo-16k").replace("handshake", "hs"), true, rel));
        }
        return out;
    }

    private static String short_(String label) {
        int i = label.indexOf(" (");
        String s = i > 0 ? label.substring(0, i) : label;
        return s.replace("HTTP keep-alive req/s", "HTTP req/s").replace("HTTP keep-alive, a browser's 960-byte head", "HTTP browser").replace("HTTP cold: first 10 s after start", "HTTP cold 10 s")
                .replace("RSS with 4,000 idle tunnels", "RSS 4k idle").replace("RSS, fresh process", "RSS fresh")
                .replace(", 64 conns", "");
    }

    static final List<String> TARGETS = List.of("switchyard", "nginx", "haproxy", "caddy");
    static final Color[] COLORS = {new Color(0xD62728), new Color(0x2CA02C), new Color(0x1F77B4), new Color(0x9467BD)};
    static final double CAP = 3.0;

    static void write(Report r, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 1600, h = 740, left = 70, right = 30, top = 100, bottom = 120;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 20));
        g.drawString("Switchyard vs nginx, HAProxy, Caddy: relative to nginx = 1.0, higher is better (steady state)", left, 32);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString("Medians of the bench/run.sh rounds; p99, RSS and CPU per operation are inverted (nginx / target)."
                + " Bars above " + CAP + " are clipped. Missing group or bar = invalid (load-bound) or not measured; ≈ = from rounds with other programs' CPU use.",
                left, 54);
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
        List<Group> gs = groups(r);
        int groups = Math.max(1, gs.size());
        double groupW = (double) plotW / groups;
        double barW = groupW * 0.8 / TARGETS.size();
        for (int i = 0; i < gs.size(); i++) {
            Group m = gs.get(i);
            for (int t = 0; t < TARGETS.size(); t++) {
                Double relv = m.rel().get(TARGETS.get(t));
                if (relv == null) continue;
                double rel = relv;
                int x = (int) (left + i * groupW + groupW * 0.1 + t * barW);
                int bh = (int) (Math.min(rel, CAP) / CAP * plotH);
                g.setColor(COLORS[t]);
                g.fillRect(x, top + plotH - bh, (int) barW - 2, bh);
                g.setColor(Color.BLACK);
                String label = String.format(Locale.ROOT, "%.2f", rel);
                g.drawString(label, x + (int) (barW / 2) - g.getFontMetrics().stringWidth(label) / 2 - 1, top + plotH - bh - 4);
            }
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 10));
            String lab = m.label();
            int lx = (int) (left + i * groupW + groupW / 2 - g.getFontMetrics().stringWidth(lab) / 2.0);
            g.drawString(lab, lx, top + plotH + 20);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            String sub = m.inverted() ? "(inverted)" : "";
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
