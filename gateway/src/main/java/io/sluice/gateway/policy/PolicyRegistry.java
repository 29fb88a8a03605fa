package io.sluice.gateway.policy;

import io.sluice.api.PolicyFactory;
import io.sluice.gateway.config.SchemaCheck;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The policy factories Sluice knows: those on the class path (the built-ins, and plugins added to
 * it) and those in the jars of a plugins directory (each jar in its own class loader). Two
 * factories with one name are an error, as is a name that is not lower-case letters, digits and
 * '-'.
 */
public final class PolicyRegistry {

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,63}");

  /** A factory and where it came from (for messages). */
  public record Entry(PolicyFactory factory, String source) {}

  private final Map<String, Entry> factories;
  private final Map<String, SchemaCheck> schemas = new ConcurrentHashMap<>();

  private PolicyRegistry(Map<String, Entry> factories) {
    this.factories = factories;
  }

  /** The factories on the class path of this class loader, and in {@code pluginsDir}'s jars. */
  public static PolicyRegistry load(ClassLoader parent, Path pluginsDir) {
    Map<String, Entry> found = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    for (PolicyFactory f : loadAll(ServiceLoader.load(PolicyFactory.class, parent), problems)) {
      add(found, f, "class path", problems);
    }
    if (pluginsDir != null) {
      for (Path jar : jars(pluginsDir, problems)) {
        URLClassLoader loader;
        try {
          loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, parent);
        } catch (MalformedURLException e) {
          problems.add(jar + ": " + e.getMessage());
          continue;
        }
        for (PolicyFactory f : loadAll(ServiceLoader.load(PolicyFactory.class, loader), problems)) {
          if (f.getClass().getClassLoader() == loader) { // not one inherited from the class path
            add(found, f, jar.getFileName().toString(), problems);
          }
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException(String.join("; ", problems));
    }
    return new PolicyRegistry(found);
  }

  private static List<PolicyFactory> loadAll(
      ServiceLoader<PolicyFactory> loader, List<String> problems) {
    List<PolicyFactory> out = new ArrayList<>();
    var it = loader.iterator();
    while (true) {
      try {
        if (!it.hasNext()) {
          break;
        }
        out.add(it.next());
      } catch (ServiceConfigurationError e) {
        problems.add("a policy factory could not be loaded: " + e.getMessage());
      }
    }
    return out;
  }

  private static List<Path> jars(Path dir, List<String> problems) {
    List<Path> jars = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      problems.add("plugins directory " + dir + " does not exist");
      return jars;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.jar")) {
      s.forEach(jars::add);
    } catch (IOException e) {
      problems.add("plugins directory " + dir + " cannot be read: " + e.getMessage());
    }
    jars.sort(null);
    return jars;
  }

  private static void add(
      Map<String, Entry> found, PolicyFactory f, String source, List<String> problems) {
    String name = f.name();
    if (name == null || !NAME.matcher(name).matches()) {
      problems.add(
          f.getClass().getName()
              + " ("
              + source
              + ") has the name '"
              + name
              + "' (expected: lower-case letters, digits and '-')");
      return;
    }
    Entry prev = found.putIfAbsent(name, new Entry(f, source));
    if (prev != null) {
      problems.add(
          "policy '"
              + name
              + "' is provided twice: by "
              + prev.factory().getClass().getName()
              + " ("
              + prev.source()
              + ") and "
              + f.getClass().getName()
              + " ("
              + source
              + ")");
    }
  }

  public Entry find(String name) {
    return factories.get(name);
  }

  /** Every known name, sorted. */
  public List<String> names() {
    return List.copyOf(factories.keySet());
  }

  /** The compiled schema of a factory's config (compiled once). */
  public SchemaCheck schema(String name) {
    return schemas.computeIfAbsent(
        name, n -> SchemaCheck.of(factories.get(n).factory().configSchema()));
  }
}
