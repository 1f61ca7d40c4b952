// Read-only parts of the case view. Every string here came from a user or a model: React
// renders it as text (CSS keeps its line breaks), never as markup.
import type { CaseFeedback, CaseInput, EvalCase, EvalCaseDetail } from '@flywheel/contracts';
import { formatTime } from '../format';

export function Conversation({ input }: { input: CaseInput }) {
  const messages = input.messages ?? [];
  return (
    <>
      {messages.length > 0 && (
        <ol className="conversation">
          {messages.map((m, i) => (
            <li key={i} className={`message ${m.role}`}>
              <span className="role">{m.role}</span>
              <p className="user-text">{m.content}</p>
            </li>
          ))}
        </ol>
      )}
      {input.vars && (
        <>
          <h3>Template variables</h3>
          <pre className="user-text">{JSON.stringify(input.vars, null, 2)}</pre>
        </>
      )}
      {messages.length === 0 && !input.vars && <p className="hint">No input was recorded.</p>}
    </>
  );
}

export function Output({ output }: { output: string | null }) {
  return output === null ? (
    <p className="hint">The interaction produced no output.</p>
  ) : (
    <p className="user-text output">{output}</p>
  );
}

/** Reasons, comment and correction of one vote (or the case's first vote). */
function VoteText({
  reasons,
  comment,
  correction,
}: Pick<CaseFeedback, 'reasons' | 'comment' | 'correction'>) {
  return (
    <>
      <dt>Reasons</dt>
      <dd>
        {reasons.length > 0 ? (
          <ul className="reasons">
            {reasons.map((r) => (
              <li key={r} className="badge">
                {r}
              </li>
            ))}
          </ul>
        ) : (
          <span className="hint">none given</span>
        )}
      </dd>
      {comment !== undefined && (
        <>
          <dt>Comment</dt>
          <dd className="user-text comment">{comment}</dd>
        </>
      )}
      {correction !== undefined && (
        <>
          <dt>Correction</dt>
          <dd className="user-text correction">{correction}</dd>
        </>
      )}
    </>
  );
}

/**
 * The votes behind the case. One vote: its reasons, comment and correction. A merged case: the
 * union of the reasons, then every vote with its own comment and correction.
 */
export function Feedback({ detail }: { detail: EvalCaseDetail }) {
  const votes = detail.feedback;
  if (votes.length === 0) {
    return (
      <dl className="vote">
        <VoteText reasons={detail.reasons} comment={detail.comment} correction={detail.correction} />
      </dl>
    );
  }
  return (
    <>
      {votes.length > 1 && (
        <>
          <dl className="vote">
            <dt>Reasons (all votes)</dt>
            <dd>{detail.reasons.join(', ') || <span className="hint">none given</span>}</dd>
          </dl>
          <h3>All {votes.length} votes</h3>
        </>
      )}
      <ol className="votes">
        {votes.map((f) => (
          <li key={f.feedback_id}>
            <p className="sub">
              {f.rating === 'down' ? 'Thumbs down' : 'Thumbs up'} · {f.variant}
              {f.model ? ` · ${f.model}` : ''} · {formatTime(f.created_at)}
            </p>
            <dl className="vote">
              <VoteText reasons={f.reasons} comment={f.comment} correction={f.correction} />
              <dt>Interaction</dt>
              <dd className="id">{f.interaction_id}</dd>
            </dl>
          </li>
        ))}
      </ol>
    </>
  );
}

export function CaseMeta({ evalCase: c }: { evalCase: EvalCase }) {
  // [term, value, is an id (monospace, breaks anywhere)]
  const rows: [string, string, boolean?][] = [
    ['Route', c.route],
    ['Variant', c.variant],
    ['Model', c.model ?? '—'],
    ['Flag', c.flag_key ?? '—'],
    ['Votes', String(c.count)],
    ['First seen', formatTime(c.lineage.first_seen_at)],
    ['Last seen', formatTime(c.lineage.last_seen_at)],
    ['Case id', c.id, true],
    ['Interactions', c.lineage.interaction_ids.join(', '), true],
    ['Feedback ids', c.lineage.feedback_ids.join(', '), true],
  ];
  return (
    <dl className="meta">
      {rows.map(([term, value, isId]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd className={isId ? 'id' : undefined}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** What triage decided, for a case that is no longer new. */
export function Decision({ evalCase: c }: { evalCase: EvalCase }) {
  if (c.status === 'rejected') {
    return (
      <section className="decision" aria-label="Decision">
        <h2>Rejected{c.triaged_at ? ` ${formatTime(c.triaged_at)}` : ''}</h2>
        <p className="user-text">{c.reject_reason ?? ''}</p>
      </section>
    );
  }
  return (
    <section className="decision" aria-label="Decision">
      <h2>Accepted{c.triaged_at ? ` ${formatTime(c.triaged_at)}` : ''}</h2>
      {c.expected !== undefined && (
        <>
          <h3>Expected answer</h3>
          <p className="user-text">{c.expected}</p>
        </>
      )}
      <h3>Assertions</h3>
      <ul>
        {c.assertions.map((a, i) => (
          <li key={i}>
            <pre className="user-text">{JSON.stringify(a, null, 2)}</pre>
          </li>
        ))}
      </ul>
    </section>
  );
}
