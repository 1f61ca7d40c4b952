import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';

/**
 * The production build of the services: one CommonJS file, `services/cli/dist/flywheel.js`, that
 * `node` runs without tsx (`node services/cli/dist/flywheel.js start --only gateway`). It holds
 * Flywheel's own code (the CLI and every `@flywheel/*` workspace it imports); packages from
 * node_modules stay external, loaded by `require` as usual, so the OpenTelemetry instrumentation
 * still wraps them and native or optional dependencies resolve as they do under tsx.
 *
 * Why esbuild: it is what tsx runs (same TypeScript transform, same decorator handling: Nest
 * injects by explicit `@Inject` tokens, nothing reads emitted decorator metadata), so the build
 * behaves like the tested sources and takes about a second. `__dirname` in a source file keeps
 * meaning that file's folder (asset lookups: the widget bundle, the console, the demo assets).
 *
 *   tsx services/cli/scripts/build-services.ts [outfile]
 */

const ROOT = resolve(__dirname, '../../..');
export const DEFAULT_OUTFILE = join(ROOT, 'services/cli/dist/flywheel.js');

/**
 * Everything but `@flywheel/*` that is imported by package name stays a `require`: of the bare
 * name when that finds the same file from the bundle's folder, else (a workspace with its own
 * copy in its node_modules, e.g. another major of ajv) of that copy's path relative to the bundle.
 */
function externalPackages(outfile: string): Plugin {
  const outDir = dirname(outfile);
  const from = (dir: string, path: string): string | undefined => {
    try {
      return require.resolve(path, { paths: [dir] });
    } catch {
      return undefined; // ESM-only or optional: leave it to the runtime, as tsx does
    }
  };
  return {
    name: 'external-packages',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('@flywheel/')) return undefined;
        const own = from(args.resolveDir, args.path);
        if (own === undefined || own === from(outDir, args.path) || !isAbsolute(own))
          return { path: args.path, external: true };
        return { path: `./${relative(outDir, own).split(sep).join('/')}`, external: true };
      });
    },
  };
}

/** `__dirname` of each source file, relative to the bundle's own folder. */
function sourceDirname(outfile: string): Plugin {
  const outDir = dirname(outfile);
  return {
    name: 'source-dirname',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('__dirname')) return undefined;
        const rel = JSON.stringify(relative(outDir, dirname(args.path)));
        return {
          contents: text.replace(/\b__dirname\b/g, `require('node:path').join(__dirname, ${rel})`),
          loader: 'ts',
        };
      });
    },
  };
}

export async function buildServices(outfile = DEFAULT_OUTFILE): Promise<void> {
  await build({
    entryPoints: [join(ROOT, 'services/cli/src/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    tsconfig: join(ROOT, 'tsconfig.json'),
    sourcemap: true,
    logLevel: 'warning',
    plugins: [externalPackages(outfile), sourceDirname(outfile)],
  });
}

if (require.main === module) {
  const started = Date.now();
  const outfile = process.argv[2] ? resolve(process.argv[2]) : DEFAULT_OUTFILE;
  buildServices(outfile).then(
    () => console.log(`built ${relative(process.cwd(), outfile)} in ${Date.now() - started} ms`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
