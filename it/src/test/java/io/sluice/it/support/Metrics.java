package io.sluice.it.support;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A scrape of Prometheus text, read back into samples: enough to assert on values and on the
 * difference between two scrapes.
 */
public final class Metrics {

  /** One sample line: name, labels, value. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private final String text;
  private final List<Sample> samples;

  private Metrics(String text, List<Sample> samples) {
    this.text = text;
    this.samples = samples;
  }

  public static Metrics parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      String name;
      Map<String, String> labels = new LinkedHashMap<>();
      if (brace >= 0 && brace < space) {
        name = line.substring(0, brace);
        String body = line.substring(brace + 1, line.lastIndexOf('}'));
        int i = 0;
        while (i < body.length()) {
          int eq = body.indexOf('=', i);
          String key = body.substring(i, eq).trim();
          StringBuilder value = new StringBuilder();
          int j = eq + 2; // past ="
          while (body.charAt(j) != '"') {
            if (body.charAt(j) == '\\') {
              j++;
            }
            value.append(body.charAt(j++));
          }
          labels.put(key, value.toString());
          i = j + 1;
          if (i < body.length() && body.charAt(i) == ',') {
            i++;
          }
        }
      } else {
        name = line.substring(0, space);
      }
      samples.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1).trim())));
    }
    return new Metrics(text, samples);
  }

  public String text() {
    return text;
  }

  /** Whether a sample of this name, or of a histogram or counter so named, is there. */
  public boolean has(String name) {
    return samples.stream()
        .anyMatch(
            s ->
                s.name().equals(name)
                    || s.name().equals(name + "_total")
                    || s.name().equals(name + "_count")
                    || s.name().equals(name + "_bucket"));
  }

  /**
   * The sum of the samples of this name whose labels include these (name, value, name, value...); 0
   * when there is none.
   */
  public double value(String name, String... labels) {
    double sum = 0;
    for (Sample s : samples) {
      if (s.name().equals(name) && matches(s.labels(), labels)) {
        sum += s.value();
      }
    }
    return sum;
  }

  /** How much {@link #value} grew since {@code before}. */
  public double delta(Metrics before, String name, String... labels) {
    return value(name, labels) - before.value(name, labels);
  }

  private static boolean matches(Map<String, String> actual, String[] wanted) {
    for (int i = 0; i + 1 < wanted.length; i += 2) {
      if (!wanted[i + 1].equals(actual.get(wanted[i]))) {
        return false;
      }
    }
    return true;
  }
}
