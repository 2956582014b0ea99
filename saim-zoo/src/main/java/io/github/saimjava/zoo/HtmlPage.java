package io.github.saimjava.zoo;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * An HTML page that came back where a checkpoint was expected: recognised by its first bytes,
 * described in a few words, and, when it is a download confirmation (Google Drive's warning that a
 * large file cannot be scanned for viruses: a {@code <form>} whose hidden inputs carry the file id
 * and a confirmation), turned into the request that the page's button would send. The form's own
 * action and fields are used; nothing is hard-coded for one host.
 */
final class HtmlPage {
  private static final Pattern FORM =
      Pattern.compile(
          "<form\\b([^>]*)>(.*?)</form\\s*>", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  private static final Pattern INPUT =
      Pattern.compile("<input\\b([^>]*)>", Pattern.CASE_INSENSITIVE);
  private static final Pattern ATTR =
      Pattern.compile(
          "([a-zA-Z_:][-a-zA-Z0-9_:.]*)\\s*=\\s*(?:\"([^\"]*)\"|'([^']*)'|([^\\s\"'>]+))");
  private static final Pattern TITLE =
      Pattern.compile("<title[^>]*>(.*?)</title\\s*>", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  private static final Pattern INVISIBLE =
      Pattern.compile(
          "<(script|style|head)\\b.*?</\\1\\s*>", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

  /**
   * A request a form sends: {@code GET action?fields} or {@code POST action} with the fields as its
   * body.
   */
  record Submission(URI uri, String method, @Nullable String body) {}

  private HtmlPage() {}

  /** Whether these first bytes of a response are an HTML document rather than binary data. */
  static boolean looksLikeHtml(byte[] head, int n) {
    int i = 0;
    if (n >= 3
        && (head[0] & 0xff) == 0xef
        && (head[1] & 0xff) == 0xbb
        && (head[2] & 0xff) == 0xbf) {
      i = 3; // UTF-8 byte order mark
    }
    while (i < n && Character.isWhitespace(head[i])) {
      i++;
    }
    String start =
        new String(head, i, Math.min(n - i, 15), StandardCharsets.ISO_8859_1)
            .toLowerCase(Locale.ROOT);
    return start.startsWith("<!doctype html")
        || start.startsWith("<html")
        || start.startsWith("<head")
        || start.startsWith("<body")
        || start.startsWith("<!--")
        || start.startsWith("<form");
  }

  /**
   * The first form with hidden inputs, as the request its submit button sends; null when the page
   * has none (then it is not a confirmation page).
   */
  static @Nullable Submission confirmation(String html, URI page) {
    Matcher f = FORM.matcher(html);
    while (f.find()) {
      Map<String, String> formAttrs = attributes(f.group(1));
      Map<String, String> fields = new LinkedHashMap<>();
      boolean hidden = false;
      Matcher in = INPUT.matcher(f.group(2));
      while (in.find()) {
        Map<String, String> a = attributes(in.group(1));
        String type = a.getOrDefault("type", "text").toLowerCase(Locale.ROOT);
        String name = a.get("name");
        if (name == null
            || type.equals("submit")
            || type.equals("button")
            || type.equals("image")) {
          continue;
        }
        hidden |= type.equals("hidden");
        fields.put(name, a.getOrDefault("value", ""));
      }
      if (!hidden) {
        continue;
      }
      String action = formAttrs.getOrDefault("action", "");
      URI target = action.isEmpty() ? page : page.resolve(action.trim());
      String query =
          fields.entrySet().stream()
              .map(e -> enc(e.getKey()) + "=" + enc(e.getValue()))
              .collect(Collectors.joining("&"));
      String method = formAttrs.getOrDefault("method", "get").toUpperCase(Locale.ROOT);
      if (method.equals("POST")) {
        return new Submission(withoutFragment(target), "POST", query);
      }
      String base = withoutFragment(target).toString();
      int q = base.indexOf('?');
      if (q >= 0) {
        base = base.substring(0, q); // a GET form replaces the action's query with its fields
      }
      return new Submission(URI.create(query.isEmpty() ? base : base + "?" + query), "GET", null);
    }
    return null;
  }

  /** The page's title, else its first words of visible text, at most 100 characters. */
  static String describe(String html) {
    Matcher t = TITLE.matcher(html);
    String text =
        t.find() ? t.group(1) : INVISIBLE.matcher(html).replaceAll(" ").replaceAll("<[^>]*>", " ");
    text = unescape(text).replaceAll("\\s+", " ").strip();
    if (text.isEmpty()) {
      return "an empty page";
    }
    return "'" + (text.length() > 100 ? text.substring(0, 97) + "..." : text) + "'";
  }

  private static Map<String, String> attributes(String tag) {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = ATTR.matcher(tag);
    while (m.find()) {
      String v = m.group(2) != null ? m.group(2) : m.group(3) != null ? m.group(3) : m.group(4);
      out.putIfAbsent(m.group(1).toLowerCase(Locale.ROOT), unescape(v));
    }
    return out;
  }

  /** The character references that occur in attribute values and titles. */
  static String unescape(String s) {
    if (s.indexOf('&') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder();
    Matcher m = Pattern.compile("&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos|nbsp);").matcher(s);
    while (m.find()) {
      String r = m.group(1);
      String c =
          switch (r) {
            case "amp" -> "&";
            case "lt" -> "<";
            case "gt" -> ">";
            case "quot" -> "\"";
            case "apos" -> "'";
            case "nbsp" -> " ";
            default ->
                new String(
                    Character.toChars(
                        r.startsWith("#x")
                            ? Integer.parseInt(r.substring(2), 16)
                            : Integer.parseInt(r.substring(1))));
          };
      m.appendReplacement(b, Matcher.quoteReplacement(c));
    }
    m.appendTail(b);
    return b.toString();
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static URI withoutFragment(URI u) {
    String s = u.toString();
    int h = s.indexOf('#');
    return h < 0 ? u : URI.create(s.substring(0, h));
  }
}
