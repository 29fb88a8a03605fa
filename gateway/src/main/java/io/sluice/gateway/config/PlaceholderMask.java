package io.sluice.gateway.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lets {@code ${env:..}} and {@code ${file:..}} stand unquoted anywhere a value may, flow mappings
 * included ({@code trust: { key: ${env:KEY} }}), although '{', '}', ',' and ':' mean something to
 * YAML there. Before parsing, the punctuation of each placeholder is swapped for a private-use
 * character of the same width, so lines and columns do not move; scalars get it back after parsing,
 * before substitution.
 */
final class PlaceholderMask {

  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{(?:env|file):[^}\\n]*}");
  private static final String FROM = "{},:#";
  private static final String TO = "\uE000\uE001\uE002\uE003\uE004";

  private PlaceholderMask() {}

  static boolean hasMaskCharacters(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= '\uE000' && c <= '\uE004') {
        return true;
      }
    }
    return false;
  }

  static String mask(String text) {
    if (text.indexOf("${") < 0) {
      return text;
    }
    Matcher m = PLACEHOLDER.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    int last = 0;
    while (m.find()) {
      out.append(text, last, m.start());
      for (int i = m.start(); i < m.end(); i++) {
        char c = text.charAt(i);
        int k = FROM.indexOf(c);
        out.append(k < 0 ? c : TO.charAt(k));
      }
      last = m.end();
    }
    return out.append(text, last, text.length()).toString();
  }

  static String unmask(String text) {
    if (!hasMaskCharacters(text)) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      int k = TO.indexOf(c);
      out.append(k < 0 ? c : FROM.charAt(k));
    }
    return out.toString();
  }
}
