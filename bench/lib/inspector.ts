import { WebSocket } from 'undici';
import { type CpuProfile } from './cpuprofile';

/**
 * A minimal Chrome DevTools Protocol client for a child started with `--inspect=127.0.0.1:<port>`:
 * enough to CPU-profile exactly a time window of a running process (unlike `--cpu-prof`, which
 * profiles from start-up to exit).
 */
export class InspectorSession {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (event) => {
      const msg = JSON.parse(String(event.data)) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
      };
      if (msg.id === undefined) return; // an event
      const waiter = this.pending.get(msg.id);
      if (!waiter) return;
      this.pending.delete(msg.id);
      if (msg.error) waiter.reject(new Error(`inspector: ${msg.error.message}`));
      else waiter.resolve(msg.result);
    });
    ws.addEventListener('close', () => {
      for (const w of this.pending.values()) w.reject(new Error('inspector: connection closed'));
      this.pending.clear();
    });
  }

  /** Connects to the first target of the inspector listening on 127.0.0.1:`port`. */
  static async connect(port: number, timeoutMs = 10_000): Promise<InspectorSession> {
    const deadline = Date.now() + timeoutMs;
    let url: string | undefined;
    while (!url) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/json/list`);
        const targets = (await res.json()) as { webSocketDebuggerUrl?: string }[];
        url = targets[0]?.webSocketDebuggerUrl;
      } catch {
        // not listening yet
      }
      if (!url) {
        if (Date.now() > deadline) throw new Error(`no inspector on 127.0.0.1:${port}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error(`inspector: cannot connect to ${url}`)), {
        once: true,
      });
    });
    return new InspectorSession(ws);
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Starts the sampling profiler (`intervalUs` between samples). */
  async startProfiling(intervalUs = 1_000): Promise<void> {
    await this.send('Profiler.enable');
    await this.send('Profiler.setSamplingInterval', { interval: intervalUs });
    await this.send('Profiler.start');
  }

  async stopProfiling(): Promise<CpuProfile> {
    const { profile } = await this.send<{ profile: CpuProfile }>('Profiler.stop');
    await this.send('Profiler.disable');
    return profile;
  }

  close(): void {
    this.ws.close();
  }
}
