// @ts-check
/**
 * Writes test-support/test-durations.json (what test-sequencer.js orders a fresh clone's run by)
 * from a Jest JSON report:
 *   npx jest --json --outputFile=/tmp/jest.json && node test-support/record-durations.js /tmp/jest.json
 * Reports of a subset (one project, a few files) update only the files they ran.
 */
const fs = require('node:fs');
const path = require('node:path');

const report = process.argv[2];
if (!report) {
  console.error('usage: node test-support/record-durations.js <jest --json report>');
  process.exit(2);
}
const root = path.resolve(__dirname, '..');
const file = path.join(__dirname, 'test-durations.json');
/** @type {Record<string, number>} */
const durations = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
/** @type {{ testResults: { name: string; startTime: number; endTime: number }[] }} */
const { testResults } = JSON.parse(fs.readFileSync(report, 'utf8'));
for (const { name, startTime, endTime } of testResults) {
  durations[path.relative(root, name)] = endTime - startTime;
}
const sorted = Object.fromEntries(Object.entries(durations).sort(([a], [b]) => a.localeCompare(b)));
fs.writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`);
console.log(`${testResults.length} durations written to ${path.relative(root, file)}`);
