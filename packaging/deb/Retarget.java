import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.lang.constant.ClassDesc;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code java Retarget.java IN.jar OUT.jar}: OUT is IN with every class file older than Java 6
 * (version 50) rewritten as a Java 8 class file (version 52) with stack map frames; nothing else in
 * it changes. build-deb.sh runs it on picocli's jar, whose classes are Java 5 class files.
 *
 * <p>Design note. The JVM keeps no class older than version 50 in a class-data or AOT cache, and
 * verifies each with the old type-inferring verifier whenever it loads it: for {@code berth run},
 * which loads about 170 of picocli's classes in front of every container, that was a large part of
 * its start-up (docs/benchmarks.md, session 6). The JDK's class-file API (JEP 484) parses each
 * class, copies every element as it is, and re-emits each method's code with the stack map frames a
 * version-52 class needs, computed against the jar's own classes and the JDK's. The bytecode, and
 * so picocli's behaviour, is the same; a class the API cannot rewrite fails the build.
 */
public final class Retarget {
  private static final int OLDEST_CACHED = 50;
  private static final int TARGET = 52;

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: java Retarget.java IN.jar OUT.jar");
      System.exit(2);
    }
    Path out = Path.of(args[1]);
    Files.copy(Path.of(args[0]), out, StandardCopyOption.REPLACE_EXISTING);
    try (FileSystem jar = FileSystems.newFileSystem(out)) {
      ClassHierarchyResolver inJar =
          ClassHierarchyResolver.ofResourceParsing(desc -> open(jar, desc));
      ClassFile cf =
          ClassFile.of(
              ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
              ClassFile.ClassHierarchyResolverOption.of(
                  ClassHierarchyResolver.defaultResolver().orElse(inJar)));
      ClassTransform retarget =
          ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
              .andThen(
                  (builder, element) -> {
                    if (element instanceof ClassFileVersion) {
                      builder.withVersion(TARGET, 0);
                    } else {
                      builder.with(element);
                    }
                  });
      List<Path> classes;
      try (Stream<Path> files = Files.walk(jar.getPath("/"))) {
        classes =
            files
                .filter(p -> p.toString().endsWith(".class"))
                .filter(p -> !p.startsWith("/META-INF"))
                .toList();
      }
      int rewritten = 0;
      for (Path p : classes) {
        ClassModel model = cf.parse(Files.readAllBytes(p));
        if (model.majorVersion() < OLDEST_CACHED) {
          Files.write(p, cf.transformClass(model, retarget));
          rewritten++;
        }
      }
      System.err.println("Retarget: " + rewritten + " of " + classes.size() + " classes rewritten");
    }
  }

  private static InputStream open(FileSystem jar, ClassDesc desc) {
    String name = desc.descriptorString();
    Path p = jar.getPath(name.substring(1, name.length() - 1) + ".class");
    try {
      return Files.exists(p) ? Files.newInputStream(p) : null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
