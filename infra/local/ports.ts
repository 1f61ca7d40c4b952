import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * Where free ports are looked for: below the kernel's ephemeral range. A port the kernel hands
 * out for `listen(0)` comes from the same range as the local port of every outgoing connection,
 * so between our probe closing it and the server binding it (seconds for a JVM), any connect()
 * on the machine could take it (EADDRINUSE, seen with several test runs side by side). Below
 * that range only an explicit bind can.
 */
function candidateRange(): [number, number] | null {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const ephemeralLow = Number(low);
    return ephemeralLow > 11_000 ? [10_000, ephemeralLow - 1] : null;
  } catch {
    return null; // not Linux: let the kernel choose
  }
}

function listen(port: number): Promise<net.Server | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function holdPort(range: [number, number] | null, taken: Set<number>): Promise<net.Server> {
  for (let attempt = 0; range && attempt < 50; attempt++) {
    const port = range[0] + Math.floor(Math.random() * (range[1] - range[0] + 1));
    if (taken.has(port)) continue;
    const server = await listen(port);
    if (server) return server;
  }
  const server = await listen(0);
  if (!server) throw new Error('no free TCP port on 127.0.0.1');
  return server;
}

/** Distinct free TCP ports on 127.0.0.1 (all held open until every one is known). */
export async function freePorts(count: number): Promise<number[]> {
  const range = candidateRange();
  const servers: net.Server[] = [];
  const ports = new Set<number>();
  try {
    while (servers.length < count) {
      const server = await holdPort(range, ports);
      servers.push(server);
      ports.add((server.address() as net.AddressInfo).port);
    }
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
  return [...ports];
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port as number;
}
