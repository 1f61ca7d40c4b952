import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createOutbox, type Outbox } from './outbox';
import { fakeFeedbackService, memoryStorage } from './testing/fake-feedback-service';
import { feedbackBody, useFeedback, type UseFeedbackOptions } from './use-feedback';

/** A host's own UI on top of the hook. */
function CustomFeedback(props: UseFeedbackOptions) {
  const { rating, status, vote } = useFeedback(props);
  return (
    <div>
      <button onClick={() => vote('up')}>yes</button>
      <button onClick={() => vote('down', { reasons: ['other', 'other'], comment: '  too vague  ' })}>
        no
      </button>
      <output>{`${rating ?? 'none'}/${status}`}</output>
    </div>
  );
}

function setup(Ui: (props: UseFeedbackOptions) => React.JSX.Element = CustomFeedback) {
  const service = fakeFeedbackService();
  const outbox: Outbox = createOutbox({ fetch: service.fetch, storage: memoryStorage() });
  const props = { interactionId: 'int-1', token: 'tok-1', endpoint: 'https://f.example', outbox };
  const view = render(<Ui {...props} />);
  return { ...service, props, view, state: () => screen.getByRole('status').textContent };
}

describe('useFeedback', () => {
  it('drives a custom UI: idle, then the vote is sent', async () => {
    const t = setup();
    expect(t.state()).toBe('none/idle');
    await userEvent.click(screen.getByRole('button', { name: 'no' }));
    await waitFor(() => expect(t.state()).toBe('down/sent'));
    expect(t.requests.map((r) => r.body)).toEqual([
      { interaction_id: 'int-1', token: 'tok-1', rating: 'down', reasons: ['other'], comment: 'too vague' },
    ]);
  });

  it('starts over when the interaction changes', async () => {
    const t = setup();
    await userEvent.click(screen.getByRole('button', { name: 'yes' }));
    await waitFor(() => expect(t.state()).toBe('up/sent'));
    t.view.rerender(<CustomFeedback {...t.props} interactionId="int-2" token="tok-2" />);
    expect(t.state()).toBe('none/idle');
    await userEvent.click(screen.getByRole('button', { name: 'yes' }));
    await waitFor(() => expect(t.state()).toBe('up/sent'));
    expect(t.requests.map((r) => r.body.interaction_id)).toEqual(['int-1', 'int-2']);
  });
});

/** A custom UI that holds a down vote while asking for one reason. */
function HoldingFeedback(props: UseFeedbackOptions) {
  const { rating, held, status, vote, hold } = useFeedback(props);
  return (
    <div>
      <button onClick={() => hold('down')}>no</button>
      <button onClick={() => vote('down', { reasons: ['unsafe'] })}>unsafe</button>
      <button onClick={() => hold()}>never mind</button>
      <output>{`${rating ?? 'none'}/${held ?? 'none'}/${status}`}</output>
    </div>
  );
}

describe('useFeedback hold', () => {
  it('holds a rating without sending it; vote sends it once, with its details', async () => {
    const t = setup(HoldingFeedback);
    await userEvent.click(screen.getByRole('button', { name: 'no' }));
    expect(t.state()).toBe('none/down/idle');
    await userEvent.click(screen.getByRole('button', { name: 'unsafe' }));
    await waitFor(() => expect(t.state()).toBe('down/none/sent'));
    t.view.unmount();
    dispatchEvent(new Event('pagehide'));
    await t.props.outbox.flush();
    expect(t.requests.map((r) => r.body)).toEqual([
      { interaction_id: 'int-1', token: 'tok-1', rating: 'down', reasons: ['unsafe'] },
    ]);
  });

  it('hold() drops the held rating: nothing is sent on pagehide or unmount', async () => {
    const t = setup(HoldingFeedback);
    await userEvent.click(screen.getByRole('button', { name: 'no' }));
    await userEvent.click(screen.getByRole('button', { name: 'never mind' }));
    expect(t.state()).toBe('none/none/idle');
    act(() => void dispatchEvent(new Event('pagehide')));
    t.view.unmount();
    await t.props.outbox.flush();
    expect(t.requests).toEqual([]);
  });

  it('sends a held rating bare when the interaction changes, for the old interaction', async () => {
    const t = setup(HoldingFeedback);
    await userEvent.click(screen.getByRole('button', { name: 'no' }));
    t.view.rerender(<HoldingFeedback {...t.props} interactionId="int-2" token="tok-2" />);
    await waitFor(() => expect(t.requests).toHaveLength(1));
    expect(t.requests[0]?.body).toEqual({ interaction_id: 'int-1', token: 'tok-1', rating: 'down' });
    expect(t.state()).toBe('none/none/idle');
  });
});

describe('feedbackBody', () => {
  it('leaves out empty details and trims text', () => {
    expect(feedbackBody('i', 't', 'up', { reasons: [], comment: '   ', correction: '' })).toEqual({
      interaction_id: 'i',
      token: 't',
      rating: 'up',
    });
    expect(feedbackBody('i', 't', 'down', { comment: ' a ', correction: '\nb\n' })).toMatchObject({
      comment: 'a',
      correction: 'b',
    });
  });

  it('keeps within the service limits: 2000/8000 characters, 16 unique reasons of up to 64', () => {
    const body = feedbackBody('i', 't', 'down', {
      comment: 'c'.repeat(2500),
      correction: 'k'.repeat(9000),
      reasons: ['x'.repeat(65), ...Array.from({ length: 20 }, (_, i) => `r${i}`), 'r0', ''],
    });
    expect(body.comment).toHaveLength(2000);
    expect(body.correction).toHaveLength(8000);
    expect(body.reasons).toEqual(Array.from({ length: 16 }, (_, i) => `r${i}`));
  });
});
