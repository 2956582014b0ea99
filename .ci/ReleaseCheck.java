import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Checks an unpacked Central Portal bundle the way Central's validation does (run by {@code .ci/release-check}).
 *
 * <p>Usage: {@code java ReleaseCheck.java BUNDLE_DIR GROUP_ID VERSION PUBLISHED NOT_PUBLISHED}, the last two
 * comma-separated artifactIds. For every component: the path is {@code group/as/dirs/artifactId/version/}, file names
 * start with {@code artifactId-version}; the POM has name, description, url, licences (name and url), developers and
 * SCM (its own or its parent's in the bundle, as Maven inherits them) and no SNAPSHOT anywhere; a jar component has
 * its {@code -sources.jar} and {@code -javadoc.jar}; every file has a {@code .asc} that {@code gpg --verify} accepts
 * (GNUPGHOME from the environment) and {@code .md5} / {@code .sha1} (and {@code .sha256} / {@code .sha512} if present)
 * that match its bytes. Prints one line per failure and a summary; exit 1 on any failure.
 */
public final class ReleaseCheck {

  private static final List<String> CHECKSUMS = List.of("md5", "sha1", "sha256", "sha512");
  private static final List<String> SIDECARS = List.of(".asc", ".md5", ".sha1", ".sha256", ".sha512");

  private final List<String> failures = new ArrayList<>();
  private int filesChecked;
  private int signaturesVerified;

  public static void main(String[] args) throws Exception {
    if (args.length != 5) {
      System.err.println("usage: java ReleaseCheck.java BUNDLE_DIR GROUP_ID VERSION PUBLISHED NOT_PUBLISHED");
      System.exit(2);
    }
    ReleaseCheck check = new ReleaseCheck();
    check.run(Path.of(args[0]), args[1], args[2], Set.of(args[3].split(",")), Set.of(args[4].split(",")));
    if (!check.failures.isEmpty()) {
      check.failures.forEach(f -> System.out.println("FAIL " + f));
      System.out.println("release check: " + check.failures.size() + " failure(s)");
      System.exit(1);
    }
  }

  private void run(Path bundle, String groupId, String version, Set<String> published, Set<String> notPublished)
      throws Exception {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(bundle)) {
      files = walk.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
    }
    if (files.isEmpty()) {
      failures.add("the bundle " + bundle + " is empty");
      return;
    }
    Path groupDir = bundle.resolve(groupId.replace('.', '/'));
    Map<String, List<Path>> byArtifact = new TreeMap<>();
    for (Path file : files) {
      Path rel = bundle.relativize(file);
      if (!file.startsWith(groupDir) || rel.getNameCount() != groupId.split("\\.").length + 3) {
        failures.add(rel + ": not under " + groupId.replace('.', '/') + "/<artifactId>/<version>/");
        continue;
      }
      String artifactId = rel.getName(rel.getNameCount() - 3).toString();
      String dirVersion = rel.getName(rel.getNameCount() - 2).toString();
      String name = rel.getFileName().toString();
      if (!dirVersion.equals(version)) {
        failures.add(rel + ": version folder " + dirVersion + ", expected " + version);
      }
      if (!name.startsWith(artifactId + "-" + version + ".") && !name.startsWith(artifactId + "-" + version + "-")) {
        failures.add(rel + ": file name does not start with " + artifactId + "-" + version);
      }
      byArtifact.computeIfAbsent(artifactId, k -> new ArrayList<>()).add(file);
    }

    Set<String> missing = new TreeSet<>(published);
    missing.removeAll(byArtifact.keySet());
    missing.forEach(a -> failures.add(a + ": a published module, not in the bundle"));
    for (String a : byArtifact.keySet()) {
      if (notPublished.contains(a)) {
        failures.add(a + ": must not be published, but is in the bundle");
      } else if (!published.contains(a)) {
        failures.add(a + ": in the bundle but not in the list of published modules");
      }
    }

    Map<String, Document> poms = new TreeMap<>();
    for (Map.Entry<String, List<Path>> e : byArtifact.entrySet()) {
      Path pom = e.getValue().get(0).resolveSibling(e.getKey() + "-" + version + ".pom");
      if (!Files.exists(pom)) {
        failures.add(e.getKey() + ": no " + pom.getFileName());
        continue;
      }
      poms.put(e.getKey(), parse(pom));
    }
    for (Map.Entry<String, Document> e : poms.entrySet()) {
      checkPom(e.getKey(), e.getValue(), poms, groupId, version, byArtifact.get(e.getKey()));
    }
    for (Path file : files) {
      String name = file.getFileName().toString();
      if (SIDECARS.stream().noneMatch(name::endsWith)) {
        checkFile(bundle, file);
      }
    }
    System.out.printf("release check: %d components (%s), %d files checked, %d signatures verified%n",
        byArtifact.size(), String.join(", ", byArtifact.keySet()), filesChecked, signaturesVerified);
  }

  private void checkPom(String artifactId, Document pom, Map<String, Document> poms, String groupId, String version,
      List<Path> componentFiles) throws IOException {
    Element project = pom.getDocumentElement();
    String where = artifactId + "-" + version + ".pom";
    String text = Files.readString(componentFiles.get(0).resolveSibling(where), StandardCharsets.UTF_8);
    if (text.contains("SNAPSHOT")) {
      failures.add(where + ": mentions a SNAPSHOT (a SNAPSHOT dependency or version cannot be released)");
    }
    String group = child(project, "groupId") != null ? text(child(project, "groupId"))
        : child(project, "parent") != null ? text(child(child(project, "parent"), "groupId")) : null;
    if (!groupId.equals(group)) {
      failures.add(where + ": groupId " + group + ", expected " + groupId);
    }
    if (!artifactId.equals(text(child(project, "artifactId")))) {
      failures.add(where + ": artifactId " + text(child(project, "artifactId")) + " does not match its folder");
    }
    for (String field : List.of("name", "description", "url")) {
      Element e = child(project, field);
      if (e == null || text(e).isBlank()) {
        failures.add(where + ": no <" + field + ">");
      }
    }
    Element licenses = inherited(project, "licenses", poms);
    if (licenses == null || children(licenses, "license").isEmpty()) {
      failures.add(where + ": no <licenses> (own or inherited)");
    } else {
      for (Element l : children(licenses, "license")) {
        if (blank(child(l, "name")) || blank(child(l, "url"))) {
          failures.add(where + ": a <license> without <name> and <url>");
        }
      }
    }
    Element developers = inherited(project, "developers", poms);
    if (developers == null || children(developers, "developer").isEmpty()) {
      failures.add(where + ": no <developers> (own or inherited)");
    } else {
      for (Element d : children(developers, "developer")) {
        if (blank(child(d, "name")) && blank(child(d, "id"))) {
          failures.add(where + ": a <developer> without <name> or <id>");
        }
      }
    }
    Element scm = inherited(project, "scm", poms);
    if (scm == null || blank(child(scm, "url")) || blank(child(scm, "connection"))) {
      failures.add(where + ": no <scm> with <url> and <connection> (own or inherited)");
    }
    String packaging = child(project, "packaging") == null ? "jar" : text(child(project, "packaging"));
    if (!packaging.equals("pom")) {
      for (String suffix : List.of("." + packaging, "-sources.jar", "-javadoc.jar")) {
        Path p = componentFiles.get(0).resolveSibling(artifactId + "-" + version + suffix);
        if (!Files.exists(p)) {
          failures.add(artifactId + ": no " + p.getFileName());
        }
      }
    }
  }

  private void checkFile(Path bundle, Path file) throws Exception {
    filesChecked++;
    Path rel = bundle.relativize(file);
    byte[] bytes = Files.readAllBytes(file);
    for (String algorithm : CHECKSUMS) {
      Path sum = file.resolveSibling(file.getFileName() + "." + algorithm);
      if (!Files.exists(sum)) {
        if (algorithm.equals("md5") || algorithm.equals("sha1")) {
          failures.add(rel + ": no ." + algorithm);
        }
        continue;
      }
      String expected = Files.readString(sum, StandardCharsets.US_ASCII).trim().split("\\s+")[0];
      String actual = digest(algorithm, bytes);
      if (!expected.equalsIgnoreCase(actual)) {
        failures.add(rel + "." + algorithm + ": " + expected + ", but the file's is " + actual);
      }
    }
    Path asc = file.resolveSibling(file.getFileName() + ".asc");
    if (!Files.exists(asc)) {
      failures.add(rel + ": no .asc signature");
      return;
    }
    Process gpg = new ProcessBuilder("gpg", "--batch", "--verify", asc.toString(), file.toString())
        .redirectErrorStream(true).start();
    String out = new String(gpg.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!gpg.waitFor(60, TimeUnit.SECONDS) || gpg.exitValue() != 0 || !out.contains("Good signature")) {
      failures.add(rel + ".asc: gpg --verify fails: " + out.strip().replace('\n', ' '));
    } else {
      signaturesVerified++;
    }
  }

  private static String digest(String algorithm, byte[] bytes) throws NoSuchAlgorithmException {
    String name = Map.of("md5", "MD5", "sha1", "SHA-1", "sha256", "SHA-256", "sha512", "SHA-512").get(algorithm);
    return HexFormat.of().formatHex(MessageDigest.getInstance(name).digest(bytes));
  }

  /** The element of this POM, else of its parent's POM in the bundle, as Maven inherits licences, developers, SCM. */
  private static Element inherited(Element project, String field, Map<String, Document> poms) {
    Element own = child(project, field);
    if (own != null) {
      return own;
    }
    Element parent = child(project, "parent");
    if (parent == null) {
      return null;
    }
    Document parentPom = poms.get(text(child(parent, "artifactId")));
    return parentPom == null ? null : inherited(parentPom.getDocumentElement(), field, poms);
  }

  private static Document parse(Path pom) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return f.newDocumentBuilder().parse(pom.toFile());
  }

  private static Element child(Element parent, String name) {
    List<Element> all = children(parent, name);
    return all.isEmpty() ? null : all.get(0);
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> out = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element && name.equals(n.getLocalName() != null ? n.getLocalName() : n.getNodeName())) {
        out.add((Element) n);
      }
    }
    return out;
  }

  private static String text(Element e) {
    return e == null ? null : e.getTextContent().trim();
  }

  private static boolean blank(Element e) {
    return e == null || text(e).isEmpty();
  }
}
