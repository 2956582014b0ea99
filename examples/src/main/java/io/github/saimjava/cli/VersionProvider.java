package io.github.saimjava.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;

/**
 * The project version, as the build wrote it into {@code version.properties} beside this class
 * (Maven resource filtering), so that {@code saim --version} says it whether the program runs from
 * the jar or from the build's classes.
 */
final class VersionProvider implements CommandLine.IVersionProvider {
  static final String RESOURCE = "version.properties";

  @Override
  public String[] getVersion() {
    return new String[] {"saim " + version()};
  }

  /**
   * The version the build wrote; the jar manifest's, or "development", where the resource is
   * missing or was not filtered (classes compiled by something other than Maven).
   */
  static String version() {
    try (InputStream in = VersionProvider.class.getResourceAsStream(RESOURCE)) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        String v = p.getProperty("version", "");
        if (!v.isBlank() && !v.contains("${")) {
          return v.strip();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(RESOURCE + ": " + e.getMessage(), e);
    }
    String v = SaimCommand.class.getPackage().getImplementationVersion();
    return v == null ? "development" : v;
  }
}
