// Lints and renders a Helm chart through Helm's own Go library (helm-java), without a helm binary.
// Run with Java 11+'s single-file launcher, no compile step:
//
//   java -cp '.cache/helm-java/libs/*' infra/helm-java/HelmRender.java lint <chart>
//   java -cp '.cache/helm-java/libs/*' infra/helm-java/HelmRender.java template <chart> \
//       [--values <file>]... [--set <key>=<value>]... [--namespace <ns>] [--name <release>] \
//       [--kube-version <v>]
//   java -cp '.cache/helm-java/libs/*' infra/helm-java/HelmRender.java batch < jobs
//
// `lint` prints Helm's lint messages and exits 1 when the lint failed (it runs strict: warnings
// fail it too). `template` prints the rendered manifests (like `helm template`) and exits 1 with
// Helm's message when rendering fails, e.g. values rejected by values.schema.json.
// `batch` runs many of those in one JVM (loading Helm's native library once): each stdin line is
// one command's arguments separated by tabs; each result is printed after a line
// `#HelmRender# <line number> exit <code>`, and the batch exits 0.
// The jars come from `mvn -f infra/helm-java/pom.xml package` (test-support/helm.ts does that).

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;

public class HelmRender {
  public static void main(String[] args) throws IOException {
    if (args.length == 1 && args[0].equals("batch")) {
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      int n = 0;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        n++;
        if (line.isBlank()) continue;
        StringBuilder output = new StringBuilder();
        int code = run(line.split("\t"), output);
        System.out.println("#HelmRender# " + n + " exit " + code);
        System.out.print(output);
      }
      System.exit(0);
    }
    StringBuilder output = new StringBuilder();
    int code = run(args, output);
    (code == 0 || args[0].equals("lint") ? System.out : System.err).print(output);
    System.exit(code);
  }

  private static int run(String[] args, StringBuilder out) {
    if (args.length < 2 || !(args[0].equals("lint") || args[0].equals("template"))) {
      out.append(USAGE);
      return 2;
    }
    try {
      return args[0].equals("lint") ? lint(args[1], out) : template(args, out);
    } catch (IllegalArgumentException e) {
      out.append(e.getMessage()).append('\n').append(USAGE);
      return 2;
    } catch (RuntimeException e) {
      out.append("helm ").append(args[0]).append(" failed: ").append(e.getMessage()).append('\n');
      return 1;
    }
  }

  private static int lint(String chart, StringBuilder out) {
    LintResult result = new Helm(Paths.get(chart)).lint().strict().call();
    for (String message : result.getMessages()) out.append(message).append('\n');
    out.append(result.isFailed() ? "lint: FAILED\n" : "lint: passed\n");
    return result.isFailed() ? 1 : 0;
  }

  private static int template(String[] args, StringBuilder out) {
    TemplateCommand command = new Helm(Paths.get(args[1])).template().withName("flywheel");
    for (int i = 2; i < args.length; i += 2) {
      if (i + 1 >= args.length) throw new IllegalArgumentException("missing value after " + args[i]);
      String value = args[i + 1];
      switch (args[i]) {
        case "--values" -> command.withValuesFile(Paths.get(value));
        case "--namespace" -> command.withNamespace(value);
        case "--name" -> command.withName(value);
        // Without a cluster Helm assumes an old Kubernetes; charts with a kubeVersion need this.
        case "--kube-version" -> command.withKubeVersion(value);
        case "--set" -> {
          int eq = value.indexOf('=');
          if (eq <= 0) throw new IllegalArgumentException("--set needs key=value, got " + value);
          command.set(value.substring(0, eq), value.substring(eq + 1));
        }
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    out.append(command.call());
    return 0;
  }

  private static final String USAGE =
      "usage: HelmRender lint <chart>\n"
          + "       HelmRender template <chart> [--values <file>]... [--set <key>=<value>]... "
          + "[--namespace <ns>] [--name <release>] [--kube-version <v>]\n"
          + "       HelmRender batch   (one command per stdin line, arguments separated by tabs)\n";

  private HelmRender() {}
}
