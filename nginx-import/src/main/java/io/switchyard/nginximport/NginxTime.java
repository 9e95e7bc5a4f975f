package io.switchyard.nginximport;

/** nginx time values ({@code 300}, {@code 300s}, {@code 5m}, {@code 1h30m}, {@code 500ms}) in milliseconds. */
final class NginxTime {
    private NginxTime() {
    }

    /**
     * @throws IllegalArgumentException when {@code s} is not an nginx time
     */
    static long parseMs(String s) {
        if (s == null || s.isEmpty()) throw new IllegalArgumentException("empty time");
        long total = 0;
        int i = 0;
        boolean any = false;
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
            if (start == i) throw new IllegalArgumentException("\"" + s + "\" (expected: a time such as 60s, 5m, 500ms)");
            long n = Long.parseLong(s.substring(start, Math.min(i, start + 12)));
            int u = i;
            while (i < s.length() && Character.isLetter(s.charAt(i))) i++;
            String unit = s.substring(u, i);
            long factor = switch (unit) {
                case "ms" -> 1L;
                case "", "s" -> 1_000L;
                case "m" -> 60_000L;
                case "h" -> 3_600_000L;
                case "d" -> 86_400_000L;
                case "w" -> 7 * 86_400_000L;
                case "M" -> 30 * 86_400_000L;
                case "y" -> 365 * 86_400_000L;
                default -> throw new IllegalArgumentException("\"" + s + "\" (unknown time unit \"" + unit + "\")");
            };
            if (unit.isEmpty() && i < s.length()) throw new IllegalArgumentException("\"" + s + "\" (expected: a time such as 60s, 5m, 500ms)");
            total += n * factor;
            any = true;
        }
        if (!any) throw new IllegalArgumentException("\"" + s + "\" (expected: a time)");
        return total;
    }

    /** A duration as an operator writes it: 300 s, 1500 ms. */
    static String show(long ms) {
        return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
    }
}
