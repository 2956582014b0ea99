package io.github.saimjava.cli;

import io.github.saimjava.distributed.CollectiveException;
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
  /** Exit code of a data-parallel rank whose peers failed (died, or did not answer in time). */
  static final int PEER_FAILED = 3;

  @Override
  public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult pr) {
    Throwable e = ex instanceof UncheckedIOException u ? u.getCause() : ex;
    if (e instanceof CollectiveException c) {
      // another rank died or stopped answering: one line naming it, and a code of its own
      cl.getErr().println("saim: error: " + c.getMessage());
      return PEER_FAILED;
    }
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
