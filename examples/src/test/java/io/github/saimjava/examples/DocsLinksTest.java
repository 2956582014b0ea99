package io.github.saimjava.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Links of README.md and docs/*.md that MkDocs does not check: full GitHub URLs of this repository
 * ({@code https://github.com/saimjava/saim-java/blob/main/PATH}) must name a file or folder that
 * exists, and relative links must name an existing file (README's lead into docs/; the pages' among
 * themselves, which {@code mkdocs build --strict} checks too, for a build without MkDocs). Every
 * page is in the site's navigation (MkDocs only notes a page left out).
 */
class DocsLinksTest {
  private static final Path ROOT = Path.of("..");
  private static final String REPO = "https://github.com/saimjava/saim-java/";
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
  // the Javadoc .ci/run copies into the built site; not a file of the repository
  private static final List<String> GENERATED = List.of("api/");

  @Test
  void everyRepositoryLinkNamesAnExistingPath() throws Exception {
    List<String> broken = new ArrayList<>();
    for (Path page : ReadmeSnippetsTest.pages()) {
      String name = ROOT.relativize(page).toString();
      Matcher m = LINK.matcher(Files.readString(page));
      while (m.find()) {
        String target = m.group(1).replaceFirst("#.*$", "");
        Path resolved;
        if (target.startsWith(REPO)) {
          String rest = target.substring(REPO.length());
          if (!rest.matches("(blob|tree)/main/.+")) {
            broken.add(name + ": " + m.group(1) + " (not blob/main/PATH or tree/main/PATH)");
            continue;
          }
          resolved = ROOT.resolve(rest.replaceFirst("^(blob|tree)/main/", ""));
        } else if (target.isEmpty()
            || target.contains("://")
            || target.startsWith("mailto:")
            || GENERATED.contains(target)) {
          continue;
        } else {
          resolved = page.getParent().resolve(target);
        }
        if (!Files.exists(resolved)) {
          broken.add(name + ": " + m.group(1));
        }
      }
    }
    assertEquals(List.of(), broken, "links to paths that do not exist");
  }

  @Test
  void everyPageIsInTheSiteNavigation() throws Exception {
    String mkdocs = Files.readString(ROOT.resolve("mkdocs.yml"));
    List<String> missing = new ArrayList<>();
    for (Path page : ReadmeSnippetsTest.pages()) {
      String name = ROOT.resolve("docs").relativize(page).toString();
      if (page.startsWith(ROOT.resolve("docs")) && !mkdocs.contains(": " + name + "\n")) {
        missing.add(name);
      }
    }
    assertEquals(List.of(), missing, "docs/ pages missing from mkdocs.yml's nav");
  }
}
