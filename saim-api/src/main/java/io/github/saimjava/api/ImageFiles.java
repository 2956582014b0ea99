package io.github.saimjava.api;

import java.io.IOException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;

/**
 * Which files of a folder are images: the one set of rules of every entry point that reads a folder
 * ({@code saim embed}, {@code classify}, {@code evaluate}, {@code pretrain}, the Spark embedding
 * job).
 *
 * <ul>
 *   <li>A file counts when its name ends in {@code .jpg}, {@code .jpeg} or {@code .png} (any case)
 *       and no name on its path below the folder starts with a dot.
 *   <li>Links are followed, to files and to folders; a folder link that leads back to a folder it
 *       is in (a loop) is an error naming the link.
 *   <li>Every file that counts is listed whatever it holds: an empty (zero-byte) or undecodable
 *       file, or a link to nothing, is a bad image when it is decoded, an error naming it unless
 *       bad images are skipped, and then skipped and counted.
 *   <li>Files are sorted by their path relative to the folder.
 * </ul>
 */
public final class ImageFiles {
  private ImageFiles() {}

  /** Whether {@code fileName} ends in .jpg, .jpeg or .png (any case). */
  public static boolean isImageName(String fileName) {
    String n = fileName.toLowerCase(Locale.ROOT);
    return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png");
  }

  /** Whether a file or folder of this name is left out (it starts with a dot). */
  public static boolean isHidden(String fileName) {
    return fileName.startsWith(".");
  }

  /**
   * The images under {@code folder} at any depth, by the rules above.
   *
   * @throws IllegalArgumentException when {@code folder} is not a folder, or naming a link that
   *     leads back to a folder it is in
   * @throws IOException when a folder cannot be listed
   */
  public static List<Path> list(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      throw new IllegalArgumentException(folder + ": no such folder of images");
    }
    List<Path> found = new ArrayList<>();
    Files.walkFileTree(
        folder,
        EnumSet.of(FileVisitOption.FOLLOW_LINKS),
        Integer.MAX_VALUE,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            Path name = dir.getFileName();
            return !dir.equals(folder) && name != null && isHidden(name.toString())
                ? FileVisitResult.SKIP_SUBTREE
                : FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            String name = file.getFileName().toString();
            if (!isHidden(name) && isImageName(name)) {
              found.add(file);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof FileSystemLoopException) {
              throw new IllegalArgumentException(
                  file
                      + ": a link that leads back to a folder it is in ("
                      + linkTarget(file)
                      + "), which would list the same images without end; remove the link");
            }
            throw e;
          }
        });
    found.sort(
        (a, b) -> folder.relativize(a).toString().compareTo(folder.relativize(b).toString()));
    return List.copyOf(found);
  }

  private static String linkTarget(Path p) {
    try {
      return "-> " + Files.readSymbolicLink(p);
    } catch (IOException | UnsupportedOperationException e) {
      return "a link above it";
    }
  }
}
