/// <reference types="node" />
// `npm run build -w web-widget`: dist/index.js (+ .d.ts) and dist/widget.js.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAll } from './bundles';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = await buildAll(pkgDir);
for (const bundle of built) console.log(`built ${bundle.file}`);
