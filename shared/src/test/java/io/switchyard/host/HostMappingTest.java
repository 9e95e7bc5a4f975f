package io.switchyard.host;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HostMappingTest {
    private final HostMapping<String> mapping = HostMapping.<String>builder()
            .add("example.com", "apex")
            .add("API.example.com.", "api")
            .add("*.example.com", "wild")
            .add("*.b.example.com", "deeper-wild")
            .fallback("default")
            .build();

    @Test
    void exactNamesWinOverWildcards() {
        assertThat(mapping.get("api.example.com")).isEqualTo("api");
        assertThat(mapping.exact("api.example.com")).isEqualTo("api");
        assertThat(mapping.wildcard("api.example.com")).isEqualTo("wild");
    }

    @Test
    void aWildcardMatchesExactlyOneLabel() {
        assertThat(mapping.wildcard("a.example.com")).isEqualTo("wild");
        assertThat(mapping.wildcard("x.b.example.com")).isEqualTo("deeper-wild");
        assertThat(mapping.wildcard("a.c.example.com")).isNull();
        assertThat(mapping.wildcard("example.com")).isNull();
        assertThat(mapping.wildcard("com")).isNull();
    }

    @Test
    void getFallsBackWhenNothingMatches() {
        assertThat(mapping.get("a.c.example.com")).isEqualTo("default");
        assertThat(mapping.get("other.org")).isEqualTo("default");
        assertThat(mapping.get(null)).isEqualTo("default");
        assertThat(mapping.get("")).isEqualTo("default");
        assertThat(mapping.fallback()).isEqualTo("default");
    }

    @Test
    void getNormalizesCasePortAndTrailingDot() {
        assertThat(mapping.get("API.Example.Com.:443")).isEqualTo("api");
        assertThat(mapping.get("Z.EXAMPLE.com:8080")).isEqualTo("wild");
        assertThat(mapping.get("example.com.")).isEqualTo("apex");
    }

    @Test
    void exactAndWildcardAnswerNullForNull() {
        assertThat(mapping.exact(null)).isNull();
        assertThat(mapping.wildcard(null)).isNull();
    }

    @Test
    void withoutFallbackAnUnknownNameIsNull() {
        HostMapping<Integer> m = HostMapping.<Integer>builder().add("a.com", 1).build();
        assertThat(m.get("b.com")).isNull();
        assertThat(m.get("a.com")).isEqualTo(1);
        assertThat(m.isEmpty()).isFalse();
        assertThat(HostMapping.<Integer>empty().get("a.com")).isNull();
        assertThat(HostMapping.<Integer>empty().isEmpty()).isTrue();
    }

    @Test
    void refusesTheSamePatternTwiceInAnySpelling() {
        HostMapping.Builder<String> b = HostMapping.<String>builder().add("a.com", "1").add("*.a.com", "2");
        assertThatThrownBy(() -> b.add("A.com.", "3")).hasMessage("pattern: A.com. (expected: each pattern once)");
        assertThatThrownBy(() -> b.add("*.A.COM", "3")).hasMessage("pattern: *.A.COM (expected: each pattern once)");
    }

    @Test
    void refusesPatternsThatAreNotANameOrOneLeadingWildcard() {
        HostMapping.Builder<String> b = HostMapping.builder();
        for (String p : new String[]{"", "*", "*.", "a.*.com", "**.a.com", "*a.com", "a.com:80", "*..com"}) {
            assertThatThrownBy(() -> b.add(p, "x")).as(p).hasMessage("pattern: " + p + " (expected: a host name or *.domain)");
        }
        assertThatThrownBy(() -> b.add(null, "x")).hasMessage("pattern: null (expected: a host name or *.domain)");
        assertThatThrownBy(() -> b.add("a.com", null)).hasMessage("value: null (expected: non-null for pattern a.com)");
    }

    @Test
    void theBuiltMappingDoesNotSeeLaterBuilderChanges() {
        HostMapping.Builder<String> b = HostMapping.<String>builder().add("a.com", "1");
        HostMapping<String> built = b.build();
        b.add("b.com", "2").fallback("f");
        assertThat(built.get("b.com")).isNull();
        assertThat(built.fallback()).isNull();
    }
}
