package io.sluice.gateway.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${env:NAME}}, {@code ${env:NAME:-default}} and {@code ${file:PATH}} in scalar
 * values. {@code $${...}} stands for a literal {@code ${...}}.
 *
 * <p>{@code :-} takes the default when the variable is unset or empty, as in a POSIX shell. A
 * file's trailing line break is dropped (secrets mounted from Kubernetes often end with one). A
 * relative file path is resolved against the route file's directory. Errors never contain a
 * substituted value.
 */
final class Substitutor {

  private static final Pattern PLACEHOLDER =
      Pattern.compile("\\$?\\$\\{(env|file):([^}:]*(?::-[^}]*)?)}");

  private final Function<String, String> env;
  private final Path baseDir;

  Substitutor(Function<String, String> env, Path baseDir) {
    this.env = env;
    this.baseDir = baseDir;
  }

  /** The result of substituting one scalar. */
  record Result(String value, boolean substituted, boolean whole) {}

  /**
   * Substitutes every placeholder in {@code text}; problems are added to {@code errors} (as plain
   * messages) and the placeholder is left empty.
   */
  Result substitute(String text, List<String> errors) {
    if (text.indexOf("${") < 0) {
      return new Result(text, false, false);
    }
    Matcher m = PLACEHOLDER.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    boolean any = false;
    int placeholders = 0;
    while (m.find()) {
      placeholders++;
      if (m.group().startsWith("$$")) {
        m.appendReplacement(out, Matcher.quoteReplacement(m.group().substring(1)));
        continue;
      }
      any = true;
      String kind = m.group(1);
      String arg = m.group(2);
      String value = "env".equals(kind) ? fromEnv(arg, errors) : fromFile(arg, errors);
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    if (PLACEHOLDER.matcher(text).replaceAll("").contains("${")) {
      errors.add(
          "malformed placeholder (expected: ${env:NAME}, ${env:NAME:-default} or ${file:PATH})");
    }
    boolean whole = placeholders == 1 && PLACEHOLDER.matcher(text).matches();
    return new Result(out.toString(), any, whole && any);
  }

  private String fromEnv(String arg, List<String> errors) {
    int dflt = arg.indexOf(":-");
    String name = dflt < 0 ? arg : arg.substring(0, dflt);
    if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      errors.add("'" + name + "' is not an environment variable name");
      return "";
    }
    String value = env.apply(name);
    if (dflt >= 0 && (value == null || value.isEmpty())) {
      return arg.substring(dflt + 2);
    }
    if (value == null) {
      errors.add(
          "environment variable " + name + " is not set (use ${env:" + name + ":-} for a default)");
      return "";
    }
    return value;
  }

  private String fromFile(String arg, List<String> errors) {
    if (arg.isEmpty()) {
      errors.add("${file:} needs a path");
      return "";
    }
    Path path = baseDir.resolve(arg);
    try {
      String content = Files.readString(path, StandardCharsets.UTF_8);
      if (content.endsWith("\r\n")) {
        return content.substring(0, content.length() - 2);
      }
      return content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
    } catch (NoSuchFileException e) {
      errors.add("file " + path + " does not exist");
    } catch (IOException e) {
      errors.add("file " + path + " cannot be read: " + e.getClass().getSimpleName());
    }
    return "";
  }
}
