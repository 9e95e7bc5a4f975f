package io.switchyard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The report from a hand-made results document: medians, ratios, goals, flags, chart. */
class ReportTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static void cell(ArrayNode cells, int round, String target, String scenario, double perSecond, double p99) {
        ObjectNode c = cells.addObject();
        c.put("round", round).put("target", target).put("scenario", scenario).put("perSecond", perSecond).put("p99Us", p99);
    }

    @Test
    void medianOfThreeRoundsDrivesTheRatiosAndTheGoalVerdicts(@TempDir Path dir) throws Exception {
        ObjectNode doc = JSON.createObjectNode();
        doc.putObject("meta").put("rounds", 3).put("connections", 64).put("big_routes", 100000);
        doc.putArray("notes");
        ArrayNode cells = doc.putArray("cells");
        // Switchyard 200 / (260, invalid) / 210 -> median of the valid rounds 205; nginx 100 / 100 / 90 -> 100: 2.05x.
        cell(cells, 1, "switchyard", "A-32", 200, 10);
        cell(cells, 2, "switchyard", "A-32", 260, 10);
        ((ObjectNode) cells.get(cells.size() - 1)).putArray("flags").add("INVALID: other processes used 40% of a core");
        cell(cells, 3, "switchyard", "A-32", 210, 10);
        for (int r = 1; r <= 3; r++) cell(cells, r, "nginx", "A-32", r == 3 ? 90 : 100, 10);
        // Handshakes: ours half of nginx's -> missed.
        cell(cells, 1, "switchyard", "C", 50, 10);
        cell(cells, 1, "nginx", "C", 100, 10);
        ObjectNode bad = cells.addObject();
        bad.put("round", 1).put("target", "switchyard").put("scenario", "E").put("perSecond", 1);
        bad.putArray("flags").add("INVALID: 3 errors (first: boom)");
        Path raw = dir.resolve("latest.json");
        JSON.writeValue(raw.toFile(), doc);

        Report.write(raw, dir);

        String md = Files.readString(dir.resolve("benchmarks.md"));
        assertThat(md).contains("| A 32 B throughput >= 1.0x nginx | 2.05x | met |");
        assertThat(md).contains("| C handshakes/s >= 1.0x nginx | 0.50x | **MISSED** |");
        assertThat(md).contains("| D memory per idle tunnel <= 2x nginx's | – | not measured |");
        assertThat(md).contains("- switchyard E: INVALID: 3 errors (first: boom) (1x)");
        assertThat(md).contains("**No valid round (numbers shown for these are not to be quoted):** switchyard E.");
        assertThat(md).contains("- switchyard A-32: INVALID: other processes used part of a core (1x)");
        BufferedImage png = ImageIO.read(dir.resolve("benchmarks.png").toFile());
        assertThat(png.getWidth()).isEqualTo(1400);
    }

    @Test
    void aRunWithoutSwitchyardSaysSoInsteadOfShowingEmptyWins(@TempDir Path dir) throws Exception {
        ObjectNode doc = JSON.createObjectNode();
        doc.putObject("meta").put("rounds", 1);
        doc.putArray("notes").add("switchyard: not measured: jar missing");
        cell(doc.putArray("cells"), 1, "nginx", "A-32", 100, 10);
        Path raw = dir.resolve("latest.json");
        JSON.writeValue(raw.toFile(), doc);

        Report.write(raw, dir);

        String md = Files.readString(dir.resolve("benchmarks.md"));
        assertThat(md).contains("Switchyard was not measured in this run").contains("switchyard: not measured: jar missing");
    }

    @Test
    void unknownRunnerOptionsAreRefusedWithTheListOfKnownOnes() {
        assertThatThrownBy(() -> Runner.Settings.parse(new String[] {"--durations", "5"}))
                .hasMessageContaining("unknown option: --durations").hasMessageContaining("--duration-ms");
    }
}
