package io.switchyard.nginximport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NginxParserTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    private static List<Directive> flat(List<Directive> ds) {
        List<Directive> out = new ArrayList<>();
        for (Directive d : ds) {
            out.add(d);
            if (d.isBlock()) out.addAll(flat(d.block()));
        }
        return out;
    }

    @Test
    void readsQuotesEscapesCommentsAndVariablesInBraces() throws IOException {
        Path f = write("a.conf", """
                # a comment line
                add_header X-A "two words; and {braces}" always; # trailing comment
                add_header X-B 'it\\'s' ;
                return 200 "line\\none\\ttab \\"q\\" \\\\ \\x";
                set $v ${host}suffix;
                word\\;with\\;semicolons;
                hash#notacomment;
                """);
        List<Directive> ds = NginxParser.parse(f);
        assertThat(ds).extracting(Directive::name)
                .containsExactly("add_header", "add_header", "return", "set", "word\\;with\\;semicolons", "hash#notacomment");
        assertThat(ds.get(0).args()).containsExactly("X-A", "two words; and {braces}", "always");
        assertThat(ds.get(1).args()).containsExactly("X-B", "it's");
        assertThat(ds.get(2).args()).containsExactly("200", "line\none\ttab \"q\" \\ \\x");
        assertThat(ds.get(3).args()).containsExactly("$v", "${host}suffix");
    }

    @Test
    void keepsTheFileAndLineOfEveryDirectiveInNestedBlocks() throws IOException {
        Path f = write("nginx.conf", """
                events {}

                http {
                    server {
                        listen
                          80;
                        location /a {
                            proxy_pass http://127.0.0.1:1;
                        }
                    }
                }
                """);
        List<Directive> ds = NginxParser.parse(f);
        assertThat(flat(ds)).extracting(d -> d.name() + "@" + d.line())
                .containsExactly("events@1", "http@3", "server@4", "listen@5", "location@7", "proxy_pass@8");
        assertThat(ds.get(0).block()).isEmpty();
        assertThat(flat(ds)).allSatisfy(d -> assertThat(d.file()).isEqualTo(f));
    }

    @Test
    void expandsIncludeGlobsInNameOrderRelativeToTheMainFilesDirectory() throws IOException {
        write("conf.d/b.conf", "server { listen 81; }\n");
        write("conf.d/a.conf", "\n\nserver { listen 80; include snippets/common.conf; }\n");
        write("conf.d/skip.txt", "this is not read;\n");
        write("snippets/common.conf", "proxy_read_timeout 5s;\n");
        Path main = write("nginx.conf", "http {\n  include conf.d/*.conf;\n  include nothing/*.conf;\n}\n");
        List<Directive> ds = NginxParser.parse(main);
        List<Directive> servers = ds.get(0).block();
        assertThat(servers).extracting(Directive::name).containsExactly("server", "server");
        assertThat(servers.get(0).file()).isEqualTo(dir.resolve("conf.d/a.conf"));
        assertThat(servers.get(0).line()).isEqualTo(3);
        assertThat(servers.get(0).block().get(1).name()).isEqualTo("proxy_read_timeout");
        assertThat(servers.get(0).block().get(1).file()).isEqualTo(dir.resolve("snippets/common.conf"));
        assertThat(servers.get(1).file()).isEqualTo(dir.resolve("conf.d/b.conf"));
    }

    @Test
    void namesIncludedFilesBesideTheMainFileAsTheUserNamedIt() throws IOException {
        write("part.conf", "upstream u { server 127.0.0.1:1; }\n");
        write("main.conf", "include part.conf;\n");
        Path relative = Path.of("").toAbsolutePath().relativize(dir.resolve("main.conf"));
        List<Directive> ds = NginxParser.parse(relative);
        assertThat(ds.get(0).file()).isEqualTo(relative.getParent().resolve("part.conf"));
    }

    @Test
    void aMissingIncludedFileIsAnErrorAtTheIncludeLine() throws IOException {
        Path main = write("nginx.conf", "http {\n\n  include missing.conf;\n}\n");
        assertThatThrownBy(() -> NginxParser.parse(main)).isInstanceOf(NginxSyntaxException.class)
                .hasMessageContaining("missing.conf").satisfies(e -> {
                    assertThat(((NginxSyntaxException) e).line()).isEqualTo(3);
                    assertThat(((NginxSyntaxException) e).file()).isEqualTo(main);
                });
    }

    @Test
    void anIncludeCycleIsAnError() throws IOException {
        write("a.conf", "include b.conf;\n");
        write("b.conf", "\ninclude a.conf;\n");
        Path main = dir.resolve("a.conf");
        assertThatThrownBy(() -> NginxParser.parse(main)).isInstanceOf(NginxSyntaxException.class)
                .hasMessageContaining("cycle").satisfies(e -> assertThat(((NginxSyntaxException) e).line()).isEqualTo(2));
    }

    record Bad(String text, int line, String message) {
    }

    @Test
    void refusesWhatNginxRefusesWithTheLineWhereReadingStopped() throws IOException {
        List<Bad> cases = List.of(
                new Bad("http {\n  server {\n  }\n}\n}\n", 5, "unexpected \"}\""),
                new Bad("http {\n  server {\n", 3, "unexpected end of file, expecting \"}\""),
                new Bad("http {\n  listen 80\n}\n", 3, "unexpected \"}\""),
                new Bad("worker_processes 1\n", 2, "unexpected end of file, expecting \";\" or \"}\""),
                new Bad("\n;\n", 2, "unexpected \";\""),
                new Bad("a \"b\"c;\n", 1, "unexpected \"c\""),
                new Bad("\n\nreturn \"never closed;\n}\n", 5, "(the quote opened at line 3 is never closed)"),
                new Bad("server {\n  location /x;\n}\n", 2, "directive \"location\" has no opening \"{\""),
                new Bad("server {\n  location /x {\n    proxy_pass http://a { }\n  }\n}\n", 3, "directive \"proxy_pass\" is not terminated by \";\""));
        for (Bad b : cases) {
            Path f = write("bad.conf", b.text());
            assertThatThrownBy(() -> NginxParser.parse(f)).as(b.text()).isInstanceOf(NginxSyntaxException.class)
                    .hasMessageContaining(b.message())
                    .satisfies(e -> assertThat(((NginxSyntaxException) e).line()).as(b.text()).isEqualTo(b.line()));
        }
    }
}
