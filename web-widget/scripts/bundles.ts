/// <reference types="node" />
// The widget's two builds, shared by build.ts, size.ts and the bundle test.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';

export interface Bundle {
  name: string;
  file: string;
  /** Gzipped size budget in bytes (1 kB = 1000 B). */
  budget: number;
  options: BuildOptions;
}

export function bundles(pkgDir: string): Bundle[] {
  const common: BuildOptions = {
    absWorkingDir: pkgDir,
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    platform: 'browser',
    target: 'es2020',
    jsx: 'automatic',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  };
  return [
    {
      name: 'ESM library (React external)',
      file: 'dist/index.js',
      budget: 4_000,
      options: {
        ...common,
        entryPoints: ['src/index.ts'],
        outfile: 'dist/index.js',
        format: 'esm',
        external: ['react', 'react-dom'],
      },
    },
    {
      name: 'standalone script (Preact inside)',
      file: 'dist/widget.js',
      budget: 20_000,
      options: {
        ...common,
        entryPoints: ['src/widget.ts'],
        outfile: 'dist/widget.js',
        format: 'iife',
        // preact/compat stands in for react, react-dom and their subpaths (jsx-runtime, client).
        alias: { react: 'preact/compat', 'react-dom': 'preact/compat' },
        define: { 'process.env.NODE_ENV': '"production"' },
      },
    },
  ];
}

/** Fails the build if anything but our sources and the expected UI runtime got bundled (zod,
 * the contracts package: the widget only borrows their types). */
function checkInputs(name: string, metafile: Metafile | undefined): void {
  const forbidden = Object.keys(metafile?.inputs ?? {}).filter((input) =>
    /(^|\/)(zod|contracts)\//.test(input),
  );
  if (forbidden.length) throw new Error(`${name} must not bundle ${forbidden.join(', ')}`);
}

/** Cleans dist/, writes both bundles and the type declarations. */
export async function buildAll(pkgDir: string): Promise<Bundle[]> {
  rmSync(path.join(pkgDir, 'dist'), { recursive: true, force: true });
  const all = bundles(pkgDir);
  for (const bundle of all) {
    const result = await build(bundle.options);
    checkInputs(bundle.name, result.metafile);
  }
  const tsc = createRequire(path.join(pkgDir, 'package.json')).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(pkgDir, 'tsconfig.build.json')], { stdio: 'inherit' });
  for (const file of readdirSync(path.join(pkgDir, 'dist'))) {
    if (!file.endsWith('.d.ts')) continue;
    const declarations = readFileSync(path.join(pkgDir, 'dist', file), 'utf8');
    if (declarations.includes('@flywheel/'))
      throw new Error(`dist/${file} refers to a private @flywheel package`);
    // Consumers on `moduleResolution: node16` need explicit extensions in an ESM package.
    writeFileSync(
      path.join(pkgDir, 'dist', file),
      declarations.replace(/( from '\.\/[\w.-]+)';/g, "$1.js';"),
    );
  }
  return all;
}
