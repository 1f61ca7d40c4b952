import { useState } from 'react';
import type { RolloutState } from '@flywheel/contracts';
import { formatTime } from '../format';
import { TableHead } from '../table-head';
import { RolloutActions, type RolloutProps } from './rollout-actions';
import {
  allowed,
  guardrailValue,
  interval,
  level,
  milliseconds,
  rate,
  statusText,
  usd,
  verdict,
} from './rollout-format';

/** Decisions shown before "Show all". */
const RECENT = 10;

/** One route's rollout: where it stands and why, the evidence, the gate and the decision log. */
export function RolloutPanel({ api, rollout, onDone }: RolloutProps) {
  const { route, control, candidate, status, steps } = rollout;
  const headingId = `rollout-${route}`;
  const stepText =
    status === 'pending'
      ? `not started; first step ${steps[0] ?? 0} %`
      : `${status === 'halted' ? 'halted at ' : ''}step ${rollout.step_index + 1} of ${steps.length}`;
  return (
    <section className="rollout" aria-labelledby={headingId}>
      <h2 id={headingId}>
        {route} <span className={`badge status-${status}`}>{statusText(status)}</span>
      </h2>
      <p className="rollout-position">
        <strong>{rollout.percent} %</strong> of users on <code>{candidate}</code> (control:{' '}
        <code>{control}</code>), {stepText}. Steps:{' '}
        {steps.map((s, i) => (
          <span key={i}>
            {i > 0 ? ' → ' : ''}
            <span className={i === rollout.step_index && status !== 'pending' ? 'step current' : 'step'}>
              {s} %
            </span>
          </span>
        ))}
      </p>
      {rollout.reason && (
        <p className={`rollout-reason status-${status}`} aria-label={`Reason for ${route}`}>
          {rollout.reason}
        </p>
      )}
      <RolloutActions api={api} rollout={rollout} onDone={onDone} />
      <VariantsTable rollout={rollout} />
      <GuardrailsTable rollout={rollout} />
      <Gate rollout={rollout} />
      <DecisionLog rollout={rollout} />
    </section>
  );
}

function VariantsTable({ rollout }: { rollout: RolloutState }) {
  const { control, candidate } = rollout;
  const names = [
    control,
    candidate,
    ...Object.keys(rollout.variants).filter((n) => n !== control && n !== candidate),
  ];
  return (
    <table aria-label={`${rollout.route}: evidence per variant`}>
      <TableHead
        columns={[
          'Variant',
          'Interactions',
          'Thumbs up',
          'Thumbs down',
          'Dislike rate',
          'Error rate',
          'Latency p95',
          'Cost / interaction',
        ]}
      />
      <tbody>
        {names.map((name) => {
          const v = rollout.variants[name];
          return (
            <tr key={name}>
              <td>
                {name}
                <span className="sub">
                  {name === control ? 'control' : name === candidate ? 'candidate' : ''}
                </span>
              </td>
              <td className="num">{v?.interactions ?? 0}</td>
              <td className="num">{v?.votes_up ?? 0}</td>
              <td className="num">{v?.votes_down ?? 0}</td>
              <td className="num">{rate(v?.dislike_rate)}</td>
              <td className="num">{rate(v?.error_rate)}</td>
              <td className="num">{milliseconds(v?.latency_p95_ms)}</td>
              <td className="num">{usd(v?.cost_per_interaction)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function GuardrailsTable({ rollout }: { rollout: RolloutState }) {
  if (rollout.intervals.length === 0) return <p className="hint">No guardrails in this plan.</p>;
  return (
    <table aria-label={`${rollout.route}: guardrails, candidate vs control`}>
      <TableHead
        columns={['Guardrail', 'Candidate vs control', 'Always-valid interval', 'Allowed', 'Verdict']}
      />
      <tbody>
        {rollout.intervals.map((i) => (
          <tr key={i.metric} className={i.violated ? 'violated' : undefined}>
            <td>
              {i.metric}
              <span className="sub">
                {i.kind === 'ratio' ? 'candidate / control' : 'candidate − control'}
              </span>
            </td>
            <td className="num">{guardrailValue(i.kind, i.estimate)}</td>
            <td className="num">
              {interval(i)} <span className="sub">{level(i.alpha)}</span>
            </td>
            <td className="num">{allowed(i)}</td>
            <td>{verdict(i)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Gate({ rollout }: { rollout: RolloutState }) {
  const { gate } = rollout;
  return (
    <p className="gate" aria-label={`Regression gate of ${rollout.route}`}>
      Regression gate: <span className={`badge gate-${gate.status}`}>{gate.status}</span>
      {gate.pass_rate !== undefined && <> pass rate {rate(gate.pass_rate)}</>}
      {gate.run_id && (
        <>
          {' '}
          (run <code>{gate.run_id}</code>, see Eval runs)
        </>
      )}
      {gate.note && <> — {gate.note}</>}
    </p>
  );
}

function DecisionLog({ rollout }: { rollout: RolloutState }) {
  const [all, setAll] = useState(false);
  const { decisions } = rollout;
  if (decisions.length === 0) return <p className="hint">No decisions yet.</p>;
  const shown = all ? decisions : decisions.slice(0, RECENT);
  return (
    <>
      <table aria-label={`${rollout.route}: decision log`}>
        <caption>Decision log, newest first</caption>
        <TableHead columns={['When', 'Decision', 'Candidate share', 'Reason']} />
        <tbody>
          {shown.map((d, i) => (
            <tr key={`${d.at}-${i}`}>
              <td>{formatTime(d.at)}</td>
              <td>{d.kind}</td>
              <td className="num">
                {d.from_percent} % → {d.to_percent} %
              </td>
              <td className="user-text">{d.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {decisions.length > RECENT && (
        <button type="button" className="link" onClick={() => setAll((a) => !a)}>
          {all ? `Show the last ${RECENT}` : `Show all ${decisions.length} decisions`}
        </button>
      )}
    </>
  );
}
