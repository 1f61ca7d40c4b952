import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { promtoolPath } from '../../../test-support/promtool';

/**
 * The alert rules of infra/observability/alerts, checked and unit-tested by Prometheus's own
 * promtool: every alert fires on the series it is meant for, with its labels and annotations, and
 * stays quiet on the ones it is not (flywheel.rules.test.yml, dislike.rules.test.yml).
 */
const ROOT = path.resolve(__dirname, '../../..');
const ALERTS = path.join(ROOT, 'infra/observability/alerts');
const run = promisify(execFile);

async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(promtoolPath(), args, { cwd: ALERTS, timeout: 240_000 });
    return stdout + stderr;
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${stdout}${stderr}`);
  }
}

describe('alert rules', () => {
  it('are valid rules', async () => {
    expect(await promtool('check', 'rules', 'flywheel.rules.yml')).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass `promtool test rules`', async () => {
    const out = await promtool('test', 'rules', 'flywheel.rules.test.yml', 'dislike.rules.test.yml');
    expect(out.match(/SUCCESS/g)).toHaveLength(2);
  }, 300_000);

  it('test every alert they define', () => {
    const rules = parseYaml(readFileSync(path.join(ALERTS, 'flywheel.rules.yml'), 'utf8')) as {
      groups: { rules: { alert?: string }[] }[];
    };
    const alerts = rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    const tested = ['flywheel.rules.test.yml', 'dislike.rules.test.yml'].flatMap((file) => {
      const test = parseYaml(readFileSync(path.join(ALERTS, file), 'utf8')) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
      };
      return test.tests.flatMap((t) =>
        (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length).map((a) => a.alertname),
      );
    });
    expect(new Set(tested)).toEqual(new Set(alerts));
  });

  it("are the rules compose's Prometheus loads", () => {
    const config = parseYaml(readFileSync(path.join(ROOT, 'infra/observability/prometheus.yml'), 'utf8')) as {
      rule_files: string[];
    };
    expect(config.rule_files).toEqual(['/etc/prometheus/alerts/flywheel.rules.yml']);
    expect(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')).toContain(
      './infra/observability/alerts:/etc/prometheus/alerts:ro',
    );
  });
});
