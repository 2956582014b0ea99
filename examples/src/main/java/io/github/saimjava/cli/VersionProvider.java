package io.github.saimjava.cli;

import picocli.CommandLine;

/** The version from the jar manifest (or "development" when run from classes). */
final class VersionProvider implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = SaimCommand.class.getPackage().getImplementationVersion();
    return new String[] {"saim " + (v == null ? "development" : v)};
  }
}
