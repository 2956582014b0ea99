package io.github.saimjava.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** saim-bom pins this library and its engine, nothing else, at the versions our build uses. */
class SaimBomTest {
  private static Document read(String pom) throws Exception {
    return DocumentBuilderFactory.newInstance()
        .newDocumentBuilder()
        .parse(Path.of("..", pom).toFile());
  }

  private static String text(Element e, String tag) {
    NodeList n = e.getElementsByTagName(tag);
    return n.getLength() == 0 ? "" : n.item(0).getTextContent().strip();
  }

  private static Element child(Element e, String tag) {
    return (Element) e.getElementsByTagName(tag).item(0);
  }

  /** groupId:artifactId[:classifier] -> version, as written, of a POM's dependencyManagement. */
  private static Map<String, String> managed(Document pom) {
    Map<String, String> out = new TreeMap<>();
    Element dm = child(pom.getDocumentElement(), "dependencyManagement");
    NodeList deps = dm.getElementsByTagName("dependency");
    for (int i = 0; i < deps.getLength(); i++) {
      Element d = (Element) deps.item(i);
      String c = text(d, "classifier");
      out.put(
          text(d, "groupId") + ":" + text(d, "artifactId") + (c.isEmpty() ? "" : ":" + c),
          text(d, "version"));
    }
    return out;
  }

  /** The value of {@code ${name}} in {@code pom}'s properties, or the text itself. */
  private static String resolve(Document pom, String value) {
    if (value.equals("${project.version}")) {
      return text(pom.getDocumentElement(), "version");
    }
    if (value.startsWith("${")) {
      return text(
          child(pom.getDocumentElement(), "properties"), value.substring(2, value.length() - 1));
    }
    return value;
  }

  @Test
  void pinsOnlyTheLibraryAndItsEngineAtTheBuildsVersions() throws Exception {
    Document bom = read("saim-bom/pom.xml");
    Document parent = read("pom.xml");
    assertEquals(
        0,
        bom.getDocumentElement().getElementsByTagName("parent").getLength(),
        "an imported parent would leak its pins");
    Map<String, String> pins = managed(bom);
    assertEquals(
        List.of(
            "ai.djl.pytorch:pytorch-engine",
            "ai.djl.pytorch:pytorch-jni",
            "ai.djl.pytorch:pytorch-native-cpu:linux-aarch64",
            "ai.djl.pytorch:pytorch-native-cpu:linux-x86_64",
            "ai.djl.pytorch:pytorch-native-cpu:osx-aarch64",
            "ai.djl.pytorch:pytorch-native-cpu:win-x86_64",
            "ai.djl:api",
            "io.github.saimjava:saim-api",
            "io.github.saimjava:saim-distributed",
            "io.github.saimjava:saim-impl",
            "io.github.saimjava:saim-spark",
            "io.github.saimjava:saim-zoo"),
        new ArrayList<>(pins.keySet()));
    Map<String, String> parentPins = managed(parent);
    for (Map.Entry<String, String> e : pins.entrySet()) {
      String key =
          e.getKey().startsWith("ai.djl.pytorch:pytorch-native-cpu")
              ? "ai.djl.pytorch:pytorch-native-cpu"
              : e.getKey();
      String ours =
          parentPins.entrySet().stream()
              .filter(p -> p.getKey().startsWith(key))
              .map(Map.Entry::getValue)
              .findFirst()
              .orElseThrow(() -> new AssertionError(key + " is not managed by saim-parent"));
      assertEquals(resolve(parent, ours), resolve(bom, e.getValue()), e.getKey());
    }
    assertEquals(
        text(parent.getDocumentElement(), "version"), text(bom.getDocumentElement(), "version"));
  }
}
