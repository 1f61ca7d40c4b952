import { act, screen, waitFor, within } from '@testing-library/react';
import { error, makeCase, makeDetail, makeList } from '../testing/fake-curator';
import { renderConsole } from '../testing/render-console';

const detail = makeDetail({
  id: 'c1',
  count: 2,
  reasons: ['incorrect', 'wrong_format'],
  flag_key: 'support-model',
  lineage: {
    interaction_ids: ['int-a', 'int-b'],
    feedback_ids: ['fb-a', 'fb-b'],
    first_seen_at: '2025-06-01T10:00:00.000Z',
    last_seen_at: '2025-06-02T09:30:00.000Z',
  },
  feedback: [
    {
      feedback_id: 'fb-a',
      interaction_id: 'int-a',
      rating: 'down',
      reasons: ['incorrect'],
      comment: 'It already arrived last week.',
      correction: 'Your order was delivered on 24 May.',
      variant: 'candidate',
      model: 'gpt-4o-mini',
      created_at: '2025-06-01T10:00:00.000Z',
    },
    {
      feedback_id: 'fb-b',
      interaction_id: 'int-b',
      rating: 'down',
      reasons: ['wrong_format'],
      comment: 'Not JSON',
      variant: 'candidate',
      model: 'gpt-4o-mini',
      created_at: '2025-06-02T09:30:00.000Z',
    },
  ],
  suggested_assertions: [
    { type: 'json-schema' },
    { type: 'contains', value: 'Your order was delivered on 24 May.' },
    { type: 'similar', value: 'Your order was delivered on 24 May.', threshold: 0.6 },
  ],
});

async function openCase(options: Parameters<typeof renderConsole>[0] = {}) {
  const t = renderConsole({
    hash: '#/case/c1',
    details: [detail],
    list: makeList([makeCase({ id: 'c1' })]),
    ...options,
  });
  await screen.findByRole('heading', { name: /^Case on support/ });
  const section = (name: string) => screen.getByRole('region', { name });
  return { ...t, section };
}

afterEach(() => window.history.replaceState(null, '', '/console/'));

describe('the case view', () => {
  it('shows input, disliked output and every vote side by side, with variant, model and lineage', async () => {
    const t = await openCase();
    const input = t.section('Input');
    expect(within(input).getByText('When will order c1 arrive?')).toBeTruthy();
    expect(within(input).getByText('You answer questions about orders.')).toBeTruthy();
    expect(within(t.section('Disliked output')).getByText('It arrives tomorrow.')).toBeTruthy();
    const feedback = t.section('Feedback');
    expect(within(feedback).getByRole('heading', { name: 'All 2 votes' })).toBeTruthy();
    expect(within(feedback).getAllByText('Not JSON')).toHaveLength(1);
    expect(within(feedback).getByText('incorrect, wrong_format')).toBeTruthy(); // reasons of all votes
    expect(within(feedback).getAllByText('Your order was delivered on 24 May.')).toHaveLength(1);
    expect(within(feedback).getByText('int-b')).toBeTruthy();
    const meta = document.querySelector('dl.meta')!;
    for (const text of ['candidate', 'gpt-4o-mini', 'support-model', 'int-a, int-b', 'fb-a, fb-b', 'c1']) {
      expect(within(meta as HTMLElement).getByText(text)).toBeTruthy();
    }
  });

  it('accepts with the suggested assertions, edited: the expected answer comes from the correction', async () => {
    const t = await openCase();
    await t.user.click(screen.getByRole('button', { name: 'Accept…' }));
    const expected = screen.getByLabelText('Expected answer (optional)') as HTMLTextAreaElement;
    expect(expected.value).toBe('Your order was delivered on 24 May.');
    const legends = () => screen.getAllByRole('group').map((g) => g.querySelector('legend')?.textContent);
    expect(legends()).toEqual(['Assertion 1', 'Assertion 2', 'Assertion 3']);
    const [schema, contains, similar] = screen.getAllByRole('group');
    expect((within(schema!).getByLabelText('Type') as HTMLSelectElement).value).toBe('json-schema');
    expect(
      (within(contains!).getByLabelText('Text the answer must contain') as HTMLTextAreaElement).value,
    ).toBe('Your order was delivered on 24 May.');
    expect((within(similar!).getByLabelText('Threshold (0–1)') as HTMLInputElement).value).toBe('0.6');

    // Edit: "contains" a shorter text, similar at 0.8, drop the schema check, add a judge.
    const containsText = within(contains!).getByLabelText('Text the answer must contain');
    await t.user.clear(containsText);
    await t.user.type(containsText, '24 May');
    const threshold = within(similar!).getByLabelText('Threshold (0–1)');
    await t.user.clear(threshold);
    await t.user.type(threshold, '0.8');
    await t.user.click(within(schema!).getByRole('button', { name: 'Remove assertion 1' }));
    await t.user.selectOptions(screen.getByLabelText('New assertion'), 'LLM judge');
    await t.user.click(screen.getByRole('button', { name: 'Add assertion' }));
    await t.user.type(
      screen.getByLabelText('Rubric'),
      'Says the order was delivered; does not promise a date',
    );
    await t.user.type(screen.getByLabelText('Judge model (optional)'), 'judge-mini');
    await t.user.clear(expected);
    await t.user.type(expected, 'Delivered on 24 May.');

    await t.user.click(screen.getByRole('button', { name: 'Accept case' }));
    await waitFor(() => expect(t.curator.calls('POST', '/v1/cases/c1/accept')).toHaveLength(1));
    expect(t.curator.calls('POST', '/v1/cases/c1/accept')[0]?.body).toEqual({
      expected: 'Delivered on 24 May.',
      assertions: [
        { type: 'contains', value: '24 May' },
        { type: 'similar', value: 'Your order was delivered on 24 May.', threshold: 0.8 },
        {
          type: 'llm-judge',
          rubric: 'Says the order was delivered; does not promise a date',
          model: 'judge-mini',
        },
      ],
    });
    await screen.findByRole('heading', { name: 'Triage queue' });
    expect(screen.getByText('Case accepted with 3 assertions.').getAttribute('role')).toBe('status');
    await t.user.click(screen.getByRole('link', { name: 'Eval runs' }));
    await screen.findByRole('heading', { name: 'Eval runs' });
    expect(screen.queryByText('Case accepted with 3 assertions.')).toBeNull();
  });

  it('keeps the text when the type changes, and checks each assertion before sending', async () => {
    const t = await openCase();
    await t.user.click(screen.getByRole('button', { name: 'Accept…' }));
    const [, contains] = screen.getAllByRole('group');
    await t.user.selectOptions(within(contains!).getByLabelText('Type'), 'Matches regex');
    const pattern = within(contains!).getByLabelText('Pattern') as HTMLTextAreaElement;
    expect(pattern.value).toBe('Your order was delivered on 24 May.');
    await t.user.clear(pattern);
    await t.user.type(pattern, 'delivered (on');
    await t.user.click(screen.getByRole('button', { name: 'Accept case' }));
    expect(screen.getByRole('alert').textContent).toBe('Fix the marked assertion first.');
    expect(pattern.getAttribute('aria-invalid')).toBe('true');
    expect(within(contains!).getByText(/^Not a valid regular expression/)).toBeTruthy();

    await t.user.type(pattern, ')');
    await t.user.type(within(contains!).getByLabelText('Flags'), 'i');
    const [schema] = screen.getAllByRole('group');
    await t.user.type(within(schema!).getByLabelText(/JSON Schema/), '{{"type": "object"}');
    await t.user.click(screen.getByRole('button', { name: 'Accept case' }));
    await waitFor(() => expect(t.curator.calls('POST', '/v1/cases/c1/accept')).toHaveLength(1));
    expect(t.curator.calls('POST', '/v1/cases/c1/accept')[0]?.body).toMatchObject({
      assertions: [
        { type: 'json-schema', schema: { type: 'object' } },
        { type: 'regex', pattern: 'delivered (on)', flags: 'i' },
        { type: 'similar' },
      ],
    });
  });

  it('needs at least one assertion', async () => {
    const t = await openCase({ details: [{ ...detail, suggested_assertions: [] }] });
    await t.user.click(screen.getByRole('button', { name: 'Accept…' }));
    expect(screen.getByText('No assertion was suggested for these reasons: add one.')).toBeTruthy();
    await t.user.click(screen.getByRole('button', { name: 'Accept case' }));
    expect(screen.getByRole('alert').textContent).toBe('Add at least one assertion.');
    expect(t.curator.calls('POST', '/v1/cases/c1/accept')).toEqual([]);
  });

  it("shows the curator's refusal and stays on the case", async () => {
    const t = await openCase({
      on: (req) =>
        req.path.endsWith('/accept') ? error(409, 'conflict', 'case c1 was already rejected') : undefined,
    });
    await t.user.click(screen.getByRole('button', { name: 'Accept…' }));
    await t.user.click(screen.getByRole('button', { name: 'Accept case' }));
    expect((await screen.findByRole('alert')).textContent).toBe('case c1 was already rejected');
    expect(window.location.hash).toBe('#/case/c1');
  });

  it('rejects with a reason', async () => {
    const t = await openCase();
    await t.user.click(screen.getByRole('button', { name: 'Reject…' }));
    expect(document.activeElement).toBe(screen.getByLabelText('Reason'));
    await t.user.click(screen.getByRole('button', { name: 'Reject case' }));
    expect(screen.getByRole('alert').textContent).toBe('Say why the case is rejected.');
    await t.user.type(screen.getByLabelText('Reason'), '  The answer was right.  {Enter}');
    await waitFor(() => expect(t.curator.calls('POST', '/v1/cases/c1/reject')).toHaveLength(1));
    expect(t.curator.calls('POST', '/v1/cases/c1/reject')[0]?.body).toEqual({
      reason: 'The answer was right.',
    });
    expect(await screen.findByText('Case rejected.')).toBeTruthy();
  });

  it('a then Enter accepts with the suggested assertions; r focuses the reason; Esc goes back', async () => {
    const t = await openCase();
    await t.user.keyboard('r');
    expect(document.activeElement).toBe(screen.getByLabelText('Reason'));
    await t.user.keyboard('a'); // typing in the reason: not a shortcut
    expect((screen.getByLabelText('Reason') as HTMLInputElement).value).toBe('a');
    (document.activeElement as HTMLElement).blur();
    await t.user.keyboard('a');
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Accept case' }));
    await t.user.keyboard('{Enter}');
    await waitFor(() => expect(t.curator.calls('POST', '/v1/cases/c1/accept')).toHaveLength(1));
    expect(t.curator.calls('POST', '/v1/cases/c1/accept')[0]?.body).toEqual({
      expected: 'Your order was delivered on 24 May.',
      assertions: detail.suggested_assertions,
    });

    await screen.findByRole('heading', { name: 'Triage queue' });
    act(() => {
      window.history.pushState(null, '', '#/case/c1');
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    await screen.findByRole('heading', { name: /^Case on support/ });
    await t.user.keyboard('{Escape}');
    await screen.findByRole('heading', { name: 'Triage queue' });
  });

  it('shows the decision of a triaged case instead of the forms', async () => {
    await openCase({
      details: [
        {
          ...detail,
          status: 'accepted',
          expected: 'Delivered on 24 May.',
          assertions: [{ type: 'contains', value: '24 May' }],
        },
      ],
    });
    expect(screen.queryByRole('button', { name: 'Accept…' })).toBeNull();
    const decision = screen.getByRole('region', { name: 'Decision' });
    expect(within(decision).getByText('Delivered on 24 May.')).toBeTruthy();
    expect(within(decision).getByText(/"value": "24 May"/)).toBeTruthy();
  });
});

describe('user-supplied text', () => {
  const script = '<script>window.__xss = 1</script>';
  const img = '<img src=x onerror="window.__xss = 2">';

  it('is shown literally, never as markup', async () => {
    const hostile = makeDetail({
      id: 'c1',
      input: { messages: [{ role: 'user', content: `Hi ${img}` }], vars: { name: script } },
      output: `Sure! ${script}`,
      comment: `Look: ${script} ${img}`,
      correction: `<b>bold</b> ${img}`,
      reasons: ['<i>odd</i>'],
    });
    const t = await openCase({ details: [hostile] });
    expect(within(t.section('Input')).getByText(`Hi ${img}`)).toBeTruthy();
    expect(within(t.section('Disliked output')).getByText(`Sure! ${script}`)).toBeTruthy();
    const feedback = t.section('Feedback');
    expect(within(feedback).getAllByText(`Look: ${script} ${img}`).length).toBeGreaterThan(0);
    expect(within(feedback).getAllByText(`<b>bold</b> ${img}`).length).toBeGreaterThan(0);
    expect(within(feedback).getAllByText('<i>odd</i>').length).toBeGreaterThan(0);
    await t.user.click(screen.getByRole('button', { name: 'Accept…' }));
    expect((screen.getByLabelText('Expected answer (optional)') as HTMLTextAreaElement).value).toBe(
      `<b>bold</b> ${img}`,
    );
    expect(document.querySelectorAll('script, img, b, i')).toHaveLength(0);
    expect((window as { __xss?: number }).__xss).toBeUndefined();
  });

  it('is shown literally in the queue', async () => {
    renderConsole({
      list: makeList([
        makeCase({ id: 'c9', input: { messages: [{ role: 'user', content: img }] }, comment: script }),
      ]),
    });
    expect(await screen.findByRole('link', { name: img })).toBeTruthy();
    expect(screen.getByText(script)).toBeTruthy();
    expect(document.querySelectorAll('script, img')).toHaveLength(0);
  });
});
