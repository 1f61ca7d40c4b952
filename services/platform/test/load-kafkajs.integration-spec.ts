import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '../../..');
const MODULE = join(__dirname, '../src/bus/load-kafkajs.ts');

describe('loadKafkajs', () => {
  // npm start runs the sources as ESM through tsx, where a dynamic import of kafkajs (CommonJS)
  // detects only some of its exports as named ones: ConfigResourceTypes came out undefined, and
  // the relay fell back to a guessed max.message.bytes
  it('gives every kafkajs export when loaded as ESM through tsx, as npm start does', async () => {
    const script =
      `const m = await import(${JSON.stringify(MODULE)});` +
      'const k = await (m.loadKafkajs ?? m.default.loadKafkajs)();' +
      'console.log(JSON.stringify([k.ConfigResourceTypes.TOPIC, typeof k.Kafka, typeof k.Partitioners.DefaultPartitioner]));';
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
    });
    expect(JSON.parse(stdout)).toEqual([2, 'function', 'function']);
  });
});
