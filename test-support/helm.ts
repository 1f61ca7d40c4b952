import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { requireExecutable } from '../infra/local/executables';
import { REPO_ROOT } from '../infra/local/paths';

/**
 * Helm without a helm binary: Helm's own Go library as packaged for the JVM by helm-java
 * (Maven Central, infra/helm-java/pom.xml), driven by infra/helm-java/HelmRender.java through
 * Java's single-file launcher. The jars are fetched once into .cache/helm-java/libs.
 */
export const HELM_JAVA_VERSION = '0.0.21';
/** Helm assumes an old Kubernetes when no cluster is asked; render for a current one. */
export const KUBE_VERSION = '1.31.0';

const MAVEN_HINT = 'install Maven and a Java 17 runtime: `apt-get install -y maven openjdk-17-jre-headless`';

interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(command: string, args: string[], cwd: string, stdin?: string): Promise<Exec> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
}

/** `<root>/.cache/helm-java/libs`, fetched by Maven on first use (under flock, like the Kafka jars). */
export async function ensureHelmJava(rootDir = REPO_ROOT): Promise<string> {
  const libs = path.join(rootDir, '.cache', 'helm-java', 'libs');
  const marker = path.join(libs, `linux-amd64-${HELM_JAVA_VERSION}.jar`);
  if (fs.existsSync(marker)) return libs;
  const mvn = requireExecutable('mvn', `the helm-java jars are not in ${libs} yet; ${MAVEN_HINT}`);
  const flock = requireExecutable('flock', 'install util-linux: `apt-get install -y util-linux`');
  fs.mkdirSync(path.dirname(libs), { recursive: true });
  const pom = path.join(rootDir, 'infra', 'helm-java', 'pom.xml');
  const lock = path.join(rootDir, '.cache', 'helm-java', 'mvn.lock');
  const { code, stdout, stderr } = await exec(flock, [lock, mvn, '-q', '-B', '-f', pom, 'package'], rootDir);
  if (code !== 0 || !fs.existsSync(marker)) {
    const output = `${stdout}${stderr}`.trimEnd().split('\n').slice(-30).join('\n');
    throw new Error(
      `\`mvn -f ${pom} package\` failed (exit ${code}) fetching helm-java ${HELM_JAVA_VERSION} into ${libs}; ` +
        `it needs Maven Central and ${MAVEN_HINT}:\n${output}`,
    );
  }
  return libs;
}

/** The arguments of one HelmRender command: `lint <chart>` or `template <chart> [options]`. */
export type HelmCommand = string[];

export function lintCommand(chart: string): HelmCommand {
  return ['lint', chart];
}

/** `helm template flywheel <chart> --kube-version … --set key=value…` */
export function templateCommand(chart: string, set: Record<string, string> = {}): HelmCommand {
  const args = ['template', chart, '--kube-version', KUBE_VERSION];
  for (const [key, value] of Object.entries(set)) args.push('--set', `${key}=${value}`);
  return args;
}

export interface HelmOutput {
  code: number;
  output: string;
}

/**
 * Runs the commands in one JVM (HelmRender's batch mode: Helm's native library loads once, which
 * is most of a run's cost) and returns each command's exit code and output, in order.
 */
export async function helmBatch(commands: HelmCommand[]): Promise<HelmOutput[]> {
  for (const arg of commands.flat()) {
    if (/[\t\n\r]/.test(arg))
      throw new Error(`HelmRender arguments cannot hold tabs or newlines: ${JSON.stringify(arg)}`);
  }
  const libs = await ensureHelmJava();
  const java = requireExecutable('java', MAVEN_HINT);
  const program = path.join(REPO_ROOT, 'infra', 'helm-java', 'HelmRender.java');
  const stdin = commands.map((c) => c.join('\t')).join('\n') + '\n';
  const { code, stdout, stderr } = await exec(java, ['-cp', `${libs}/*`, program, 'batch'], REPO_ROOT, stdin);
  if (code !== 0) throw new Error(`HelmRender batch exited ${code}:\n${stderr}${stdout}`);
  const results: HelmOutput[] = [];
  const marker = /^#HelmRender# (\d+) exit (\d+)$/gm;
  const heads = [...stdout.matchAll(marker)];
  heads.forEach((head, i) => {
    const end = heads[i + 1]?.index ?? stdout.length;
    results.push({ code: Number(head[2]), output: stdout.slice(head.index + head[0].length + 1, end) });
  });
  if (results.length !== commands.length) {
    throw new Error(`HelmRender batch answered ${results.length} of ${commands.length} commands:\n${stderr}`);
  }
  return results;
}

export interface LintResult {
  passed: boolean;
  /** Helm's lint messages, one per line ([INFO] …, [WARNING] …, [ERROR] …) */
  messages: string[];
}

/** The result of a {@link lintCommand} (strict: warnings fail it too). */
export function lintResult({ code, output }: HelmOutput): LintResult {
  if (code !== 0 && code !== 1) throw new Error(`HelmRender lint exited ${code}: ${output}`);
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  return { passed: code === 0, messages: lines.filter((l) => !l.startsWith('lint: ')) };
}

/** A rendered Kubernetes object (only the fields every manifest has are typed). */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export type RenderResult = { ok: true; manifests: Manifest[] } | { ok: false; error: string };

/**
 * The result of a {@link templateCommand}, parsed into objects. A failure (a value rejected by
 * values.schema.json, a `required` value) is returned with Helm's message, not thrown, so tests
 * can assert on it.
 */
export function renderResult({ code, output }: HelmOutput): RenderResult {
  if (code !== 0) return { ok: false, error: output.trim() };
  const manifests: Manifest[] = [];
  for (const doc of parseAllDocuments(output)) {
    if (doc.errors.length > 0) throw new Error(`helm rendered invalid YAML: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as Manifest | null;
    if (value) manifests.push(value);
  }
  return { ok: true, manifests };
}
