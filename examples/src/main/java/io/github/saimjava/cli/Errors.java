package io.github.saimjava.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/**
 * Turns the errors a user can fix (bad input, missing files) into one line on stderr and exit
 * code 2; anything else is a bug and keeps its stack trace.
 */
final class Errors implements CommandLine.IExecutionExceptionHandler {
  /** Exit code for input the program refuses. */
  static final int BAD_INPUT = 2;

  @Override
  public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult pr) {
    Throwable e = ex instanceof UncheckedIOException u ? u.getCause() : ex;
    if (e instanceof NoSuchFileException n) {
      cl.getErr().println("saim: error: no such file: " + n.getFile());
      return BAD_INPUT;
    }
    if (e instanceof IllegalArgumentException || e instanceof IOException
        || e instanceof IllegalStateException) {
      cl.getErr().println("saim: error: " + e.getMessage());
      return BAD_INPUT;
    }
    throw new RuntimeException(ex);
  }
}
