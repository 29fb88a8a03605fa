package io.sluice.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** The chart under test, rendered with helm-java (the Helm library, no binary, no cluster). */
final class Chart {

  static final Path DIR = Path.of("sluice");

  /** The Kubernetes version the manifests are rendered for, unless a test says otherwise. */
  static final String KUBERNETES = "v1.31.0";

  private Chart() {}

  /** {@code helm template} with these {@code --set} values; the manifests, parsed. */
  static Manifests template(String release, Map<String, Object> set) {
    return template(release, set, t -> t);
  }

  /** {@code helm template} with values and more options (a values file, a Kubernetes version). */
  static Manifests template(
      String release, Map<String, Object> set, UnaryOperator<TemplateCommand> options) {
    // helm template assumes Kubernetes 1.20 without a cluster; the chart needs 1.25 or later.
    TemplateCommand t =
        new Helm(DIR)
            .template()
            .withName(release)
            .withNamespace("gateways")
            .withKubeVersion(KUBERNETES);
    set.forEach(t::set);
    String out = options.apply(t).call();
    List<Map<String, Object>> docs = new ArrayList<>();
    for (Object doc : new Load(LoadSettings.builder().build()).loadAllFromString(out)) {
      if (doc instanceof Map<?, ?> m) {
        @SuppressWarnings("unchecked")
        Map<String, Object> typed = (Map<String, Object>) m;
        docs.add(typed);
      }
    }
    return new Manifests(out, docs);
  }

  /** A copy of the chart whose values.yaml has {@code edit} applied (lint takes no values). */
  static Path copyWithValues(Path into, UnaryOperator<String> edit) {
    try (Stream<Path> files = Files.walk(DIR)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path target = into.resolve(DIR.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
      Path values = into.resolve("values.yaml");
      Files.writeString(values, edit.apply(Files.readString(values)));
      return into;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Rendered manifests: the text, and each document as maps and lists. */
  record Manifests(String text, List<Map<String, Object>> docs) {

    /** The one object of this kind (and name suffix, when given); fails when there is not one. */
    Map<String, Object> one(String kind) {
      List<Map<String, Object>> all = all(kind);
      if (all.size() != 1) {
        throw new AssertionError("expected one " + kind + ", rendered " + all.size());
      }
      return all.get(0);
    }

    List<Map<String, Object>> all(String kind) {
      return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    }

    /** The object of this kind whose name is {@code name}. */
    Map<String, Object> named(String kind, String name) {
      return all(kind).stream()
          .filter(d -> name.equals(get(d, "metadata.name")))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no " + kind + " named " + name));
    }
  }

  /** A value at a dotted path ({@code spec.template.spec.containers.0.ports}), or null. */
  @SuppressWarnings("unchecked")
  static <T> T get(Object node, String path) {
    Object at = node;
    for (String part : path.split("\\.")) {
      if (at instanceof Map<?, ?> m) {
        at = m.get(part);
      } else if (at instanceof List<?> l && part.chars().allMatch(Character::isDigit)) {
        int i = Integer.parseInt(part);
        at = i < l.size() ? l.get(i) : null;
      } else {
        return null;
      }
    }
    return (T) at;
  }

  static Map<String, Object> values(Object... keysAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }
}
