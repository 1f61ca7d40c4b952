import { type EvalRun } from '@flywheel/contracts';
import { XMLParser } from 'fast-xml-parser';
import { junitReport } from './junit-report';
import { fence, markdownReport, md } from './markdown-report';

const run: EvalRun = {
  id: 'run-1',
  route: 'support',
  variant: 'candidate',
  started_at: '2025-01-01T00:00:00.000Z',
  finished_at: '2025-01-01T00:00:02.500Z',
  repeat: 4,
  min_pass_rate: 0.9,
  case_threshold: 0.5,
  total: 4,
  passed: 1,
  failed: 1,
  flaky: 1,
  errored: 1,
  pass_rate: 0.5,
  regressions: ['c-fail'],
  gate: 'fail',
  results: [
    {
      case_id: 'c-pass',
      outcome: 'pass',
      runs: 4,
      passes: 4,
      assertions: [{ type: 'contains', pass: true }],
      output: 'fine',
      latency_ms: 12,
    },
    {
      case_id: 'c-fail',
      outcome: 'fail',
      runs: 4,
      passes: 0,
      assertions: [
        { type: 'contains', pass: false, message: 'expected the answer to contain "<b>refund</b>"' },
        { type: 'similar', pass: true, score: 0.71, message: 'similarity 0.71 ≥ 0.6' },
      ],
      output: 'Click [here](http://evil.test) <script>alert(1)</script>\n```\nbreak out\u0001',
      latency_ms: 30,
    },
    {
      case_id: 'c-flaky',
      outcome: 'flaky',
      runs: 4,
      passes: 2,
      assertions: [{ type: 'equals', pass: false, message: 'expected the answer to equal "x"' }],
      output: 'y',
      latency_ms: 8,
    },
    {
      case_id: 'c-error',
      outcome: 'error',
      runs: 4,
      passes: 0,
      assertions: [],
      output: null,
      error: 'HTTP 502 upstream_unavailable: no model could answer',
      latency_ms: 3,
    },
  ],
};

describe('markdownReport', () => {
  const report = markdownReport(run, ['regressions checked against run run-0']);

  it('starts with the gate and a summary table', () => {
    expect(report).toContain('# Flywheel eval: route support, variant candidate');
    expect(report).toContain(
      '**Gate: FAIL** — pass rate 50.0 % is below the minimum 90.0 %; 1 case passed in the previous run and fail now: c-fail',
    );
    expect(report).toContain('| pass rate | 50.0 % (minimum 90.0 %) |');
    expect(report).toContain('| flaky | 1 |');
    expect(report).toContain('> regressions checked against run run-0');
  });

  it('lists failures with assertion messages and the answer, errors and flaky cases', () => {
    for (const line of [
      '## Failures (1)',
      'fail, 0 of 4 runs passed; **regression: passed in the previous run**',
      '- **FAIL** contains: expected the answer to contain "&lt;b&gt;refund&lt;/b&gt;"',
      '- pass similar (score 0.71): similarity 0.71 ≥ 0.6',
      '## Errors (1)',
      '```text\nHTTP 502 upstream_unavailable: no model could answer\n```',
      '## Flaky (1)',
      'flaky, 2 of 4 runs passed',
      '| c-flaky | flaky | 2/4 | 8 ms |',
    ])
      expect(report).toContain(line);
  });

  it('fences model output so it cannot close the block or render as HTML or links', () => {
    const output = run.results[1]?.output as string;
    expect(report).toContain(`\`\`\`\`text\n${output}\n\`\`\`\``);
  });

  it('says loudly when there were no cases', () => {
    const empty = markdownReport({
      ...run,
      total: 0,
      passed: 0,
      failed: 0,
      flaky: 0,
      errored: 0,
      pass_rate: 1,
      regressions: [],
      gate: 'pass',
      results: [],
    });
    expect(empty).toContain('**No cases**');
    expect(empty).toContain('**Gate: PASS**');
  });
});

describe('md and fence', () => {
  it('escapes what would become HTML, links, emphasis or table cells', () => {
    expect(md('<img src=x> [a](b) *b* `c` | d & e\nf')).toBe(
      '&lt;img src=x&gt; \\[a\\](b) \\*b\\* \\`c\\` \\| d &amp; e f',
    );
  });

  it('picks a fence longer than any backtick run inside', () => {
    expect(fence('plain')).toBe('```text\nplain\n```');
    expect(fence('a ```` b')).toBe('`````text\na ```` b\n`````');
  });
});

describe('junitReport', () => {
  const xml = junitReport(run);
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as {
    testsuites: {
      tests: string;
      failures: string;
      errors: string;
      testsuite: {
        name: string;
        time: string;
        properties: { property: { name: string; value: string }[] };
        testcase: Record<string, unknown>[];
      };
    };
  };

  it('parses as XML with the run counts on testsuites and testsuite', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(parsed.testsuites).toMatchObject({ tests: '4', failures: '1', errors: '1' });
    const suite = parsed.testsuites.testsuite;
    expect(suite).toMatchObject({ name: 'support/candidate', time: '2.500' });
    expect(suite.properties.property).toEqual(
      expect.arrayContaining([
        { name: 'gate', value: 'fail' },
        { name: 'regressions', value: 'c-fail' },
        { name: 'pass_rate', value: '0.5' },
      ]),
    );
  });

  it('marks failures (regressions by type), errors, and flaky cases as passing with a note', () => {
    const [passed, failed, flaky, errored] = parsed.testsuites.testsuite.testcase;
    expect(passed).toEqual({ name: 'c-pass', classname: 'flywheel.eval.support', time: '0.012' });
    expect(failed?.failure).toMatchObject({
      type: 'regression',
      message: 'contains: expected the answer to contain "<b>refund</b>"',
    });
    expect((failed?.failure as { '#text': string })['#text']).toContain('<script>alert(1)</script>');
    expect((failed?.failure as { '#text': string })['#text']).toContain('break out\uFFFD');
    expect(flaky?.failure).toBeUndefined();
    expect(flaky?.flakyFailure).toMatchObject({
      type: 'flaky',
      message: 'equals: expected the answer to equal "x"',
    });
    expect(flaky?.['system-out']).toBe('flaky: 2 of 4 runs passed (counted as passed)');
    expect(errored?.error).toMatchObject({
      type: 'error',
      message: 'HTTP 502 upstream_unavailable: no model could answer',
    });
  });
});
