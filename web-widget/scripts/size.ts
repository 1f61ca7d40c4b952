/// <reference types="node" />
// `npm run size -w web-widget`: builds, then checks each bundle's gzipped size against its budget;
// exits non-zero when one is over.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildAll } from './bundles';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let over = 0;
for (const bundle of await buildAll(pkgDir)) {
  const raw = readFileSync(path.join(pkgDir, bundle.file));
  const gzipped = gzipSync(raw, { level: 9 }).length;
  const ok = gzipped <= bundle.budget;
  if (!ok) over++;
  console.log(
    `${ok ? 'ok  ' : 'OVER'} ${bundle.file.padEnd(16)} ${(gzipped / 1000).toFixed(2)} kB gzipped ` +
      `(budget ${(bundle.budget / 1000).toFixed(0)} kB, ${(raw.length / 1000).toFixed(2)} kB minified) — ${bundle.name}`,
  );
}
if (over) {
  console.error(`${over} bundle(s) over budget`);
  process.exit(1);
}
