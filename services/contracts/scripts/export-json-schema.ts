/**
 * Writes the JSON Schema of every event payload and HTTP body to
 * services/contracts/json-schema/<Name>.json (for docs and non-TypeScript consumers).
 * Usage: npm run contracts:json-schema
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemas } from '../src/json-schema';

const outDir = join(__dirname, '..', 'json-schema');
mkdirSync(outDir, { recursive: true });
for (const [name, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(join(outDir, `${name}.json`), JSON.stringify(schema, null, 2) + '\n');
  console.log(`wrote ${join('services/contracts/json-schema', name + '.json')}`);
}
