package io.switchyard.nginximport;

import io.switchyard.config.Config;
import io.switchyard.config.ConfigCodec;
import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ImportNginxCommandTest {
    @TempDir
    Path dir;

    /** One run of the command: its exit status and what it printed. */
    record Run(int exit, String out, String err) {
    }

    static Run run(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = ImportNginxCommand.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env, args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Run run(String... args) {
        return run(Map.of(), args);
    }

    private Path write(String text) throws IOException {
        Path f = dir.resolve("nginx.conf");
        Files.writeString(f, text);
        return f;
    }

    private static final String COMPLETE = """
            upstream chat { server 127.0.0.1:8010; server 127.0.0.1:8011; }
            server {
                listen 80;
                server_name example.com;
                location /wss { proxy_pass http://chat; proxy_set_header Host $host; proxy_read_timeout 300s; }
            }
            """;

    private static final String PARTIAL = COMPLETE + "server { listen 80; server_name static.example.com; root /srv; }\n";

    @Test
    void exitsZeroAndPrintsTheDocumentWhenEverythingCarried() throws IOException {
        Path f = write(COMPLETE);
        Run r = run(f.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        Config c = ConfigCodec.readConfig(r.out());
        assertThat(c.routes()).singleElement().satisfies(x -> assertThat(x.preserveHost()).isTrue());
        assertThat(r.err()).contains(f + ":5 location /wss {} → route example.com-wss")
                .contains("import: ").contains(" 0 not carried");
    }

    @Test
    void writesTheDocumentToOutWhenAsked() throws IOException {
        Path f = write(COMPLETE);
        Path out = dir.resolve("doc.json");
        Run r = run(f.toString(), "--out", out.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEmpty();
        assertThat(ConfigCodec.readConfig(Files.readString(out))).isEqualTo(NginxImport.translate(f).config());
    }

    @Test
    void exitsThreeWithoutADocumentWhenSomethingDidNotCarryUnlessPartialIsAllowed() throws IOException {
        Path f = write(PARTIAL);
        Path out = dir.resolve("doc.json");
        Run refused = run(f.toString(), "--out", out.toString());
        assertThat(refused.exit()).isEqualTo(3);
        assertThat(out).doesNotExist();
        assertThat(refused.err()).contains(f + ":7 root /srv → not carried").contains("no document written");

        Run allowed = run(f.toString(), "--out", out.toString(), "--allow-partial");
        assertThat(allowed.exit()).isEqualTo(3);
        assertThat(ConfigCodec.readConfig(Files.readString(out)).routes()).hasSize(1);
    }

    @Test
    void exitsOneWithOneFileAndLineMessageOnAParseError() throws IOException {
        Path f = write("http {\n  server {\n    listen 80\n  }\n}\n");
        Run r = run(f.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).isEqualTo(f + ":4: unexpected \"}\"\n");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void exitsOneNamingTheFileWhenItCannotBeRead() {
        Path missing = dir.resolve("nope.conf");
        Run r = run(missing.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).isEqualTo(missing + ": cannot read " + missing + " (no such file)\n");
    }

    @Test
    void exitsTwoOnBadFlags() throws IOException {
        Path f = write(COMPLETE);
        assertThat(run().exit()).isEqualTo(2);
        assertThat(run(f.toString(), "--frobnicate").exit()).isEqualTo(2);
        Run badUrl = run(f.toString(), "--apply", "not a url");
        assertThat(badUrl.exit()).isEqualTo(2);
        assertThat(badUrl.err()).contains("--apply").contains("not a url").doesNotContain("\n\n");
    }

    @Test
    void applyPutsTheDocumentToARealControlPlaneWithTheTokenAndPrintsTheNewVersion() throws Exception {
        Path f = write(COMPLETE);
        String token = "s3cret-token-for-the-admin-api";
        try (ControlPlane cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), dir.resolve("cp.db"), token, null))) {
            String url = "http://127.0.0.1:" + cp.adminAddress().getPort();

            Run noToken = run(f.toString(), "--apply", url);
            assertThat(noToken.exit()).isEqualTo(1);
            assertThat(noToken.err()).contains("PUT " + url + "/api/v1/config answered 401");

            Run r = run(Map.of("SWITCHYARD_ADMIN_TOKEN", token), f.toString(), "--apply", url + "/");
            assertThat(r.exit()).as(r.err()).isZero();
            HttpResponse<String> current = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/api/v1/config"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            String version = current.headers().firstValue("X-Config-Version").orElseThrow();
            assertThat(r.out()).isEqualTo("applied: version " + version + "\n");
            assertThat(ConfigCodec.readConfig(current.body())).isEqualTo(NginxImport.translate(f).config());
        }
    }

    @Test
    void applyReportsARejectedDocumentAndExitsOne() throws Exception {
        // A certificate the control plane refuses (its key does not belong to it) is rejected by the API, not by the import.
        Path other = dir.resolve("other.key");
        Process p = new ProcessBuilder("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", other.toString())
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).isZero();
        Files.copy(NginxImportTest.fieldGuide("fullchain.pem"), dir.resolve("chain.pem"));
        Path f = write("server { listen 443 ssl; server_name example.com; ssl_certificate chain.pem; ssl_certificate_key other.key;\n"
                + "location / { proxy_pass http://127.0.0.1:1; } }\n");
        try (ControlPlane cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), dir.resolve("cp.db"), null, null))) {
            Run r = run(f.toString(), "--apply", "http://127.0.0.1:" + cp.adminAddress().getPort());
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).contains("answered 400").contains("certificates[0]");
        }
    }
}
