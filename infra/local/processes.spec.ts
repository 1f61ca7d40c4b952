import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from './ports';
import { descendants, isAlive } from './proc';
import { ServerProcess } from './processes';
import { waitUntilReady } from './readiness';

describe('local server processes', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flywheel-processes-spec-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const shell = (script: string) =>
    new ServerProcess({
      command: '/bin/sh',
      args: ['-c', script],
      logFile: path.join(dir, 'out.log'),
      detached: false,
      stopSignal: 'SIGTERM',
    });

  it('kill() takes down the whole process tree, and launch() starts it again', async () => {
    const server = shell('sleep 60 & sleep 60');
    const first = await server.launch();
    await waitUntilReady({
      name: 'sh',
      pid: first,
      logFiles: [],
      timeoutMs: 5000,
      probe: async () => descendants(first).length === 2,
    });
    const tree = [first, ...descendants(first)];

    await server.kill();

    expect(tree.filter(isAlive)).toEqual([]);
    expect(server.pid).toBeUndefined();
    const second = await server.launch();
    expect(second).not.toBe(first);
    expect(server.pid).toBe(second);
    await server.stop();
    expect(isAlive(second)).toBe(false);
  });

  it('a server that exits before it is ready fails with its log', async () => {
    const server = shell('echo "ERROR: no such config"; exit 3');
    const pid = await server.launch();
    await expect(
      waitUntilReady({
        name: 'broken',
        pid,
        logFiles: [path.join(dir, 'out.log')],
        timeoutMs: 5000,
        probe: async () => false,
      }),
    ).rejects.toThrow(/broken \(pid \d+\) exited before it was ready.*\n.*ERROR: no such config/);
  });

  it('finds distinct free loopback ports', async () => {
    const ports = await freePorts(3);
    expect(new Set(ports).size).toBe(3);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(ports[0], '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });
});
