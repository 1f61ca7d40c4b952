import type { MigrationPlan } from '@flywheel/platform';

/**
 * The curator's tables (README "Tables"). Free-text columns (input, output, comment,
 * correction, outbox payloads) only ever hold redacted text. Times are the curator's clock,
 * passed as parameters (never `now()`), so tests can move it.
 */
export const CURATOR_MIGRATIONS: MigrationPlan = {
  component: 'curator',
  migrations: [
    {
      id: '0001_interactions_feedback',
      sql: `
        create table interactions (
          interaction_id text primary key,
          route text,
          flag_key text,
          variant text not null,
          model text,
          status text not null,
          input jsonb not null,
          output text,
          started_at timestamptz not null,
          received_at timestamptz not null
        );
        create index interactions_received_at on interactions (received_at);

        create table feedback (
          feedback_id text primary key,
          interaction_id text not null,
          subject_hash text not null,
          route text,
          variant text not null,
          rating text not null check (rating in ('up', 'down')),
          reasons jsonb not null,
          comment text,
          correction text,
          revision integer not null,
          created_at timestamptz not null,
          received_at timestamptz not null,
          join_state text not null check (join_state in ('waiting', 'joined', 'parked')),
          joined_at timestamptz,
          parked_at timestamptz
        );
        create index feedback_interaction on feedback (interaction_id);
        create index feedback_unjoined on feedback (join_state, received_at) where join_state <> 'joined';
        create index feedback_received_at on feedback (received_at);
      `,
    },
    {
      id: '0002_eval_sets_cases',
      sql: `
        create table eval_sets (
          route text primary key,
          created_at timestamptz not null
        );

        create table eval_cases (
          case_id text primary key,
          route text not null references eval_sets (route),
          input_hash text not null,
          status text not null check (status in ('new', 'accepted', 'rejected')),
          input jsonb not null,
          output text,
          variant text not null,
          model text,
          flag_key text,
          expected text,
          assertions jsonb not null default '[]',
          reject_reason text,
          first_seen_at timestamptz not null,
          last_seen_at timestamptz not null,
          created_at timestamptz not null,
          updated_at timestamptz not null,
          triaged_at timestamptz,
          constraint eval_cases_route_input unique (route, input_hash)
        );
        create index eval_cases_last_seen on eval_cases (last_seen_at desc);

        create table case_feedback (
          feedback_id text primary key references feedback (feedback_id) on delete cascade,
          case_id text not null references eval_cases (case_id) on delete cascade,
          interaction_id text not null,
          linked_at timestamptz not null,
          -- link order: concurrent links to one case serialize on its row, so this is commit order
          seq bigint generated always as identity
        );
        create index case_feedback_case on case_feedback (case_id, seq);

        create table case_event_outbox (
          seq bigint generated always as identity primary key,
          event_id text not null unique,
          payload jsonb not null,
          created_at timestamptz not null
        );
      `,
    },
    {
      id: '0003_eval_runs',
      sql: `
        create table eval_runs (
          run_id text primary key,
          route text not null,
          variant text not null,
          started_at timestamptz not null,
          summary jsonb not null,
          received_at timestamptz not null
        );
        create index eval_runs_route on eval_runs (route, started_at desc);

        create table eval_results (
          run_id text not null references eval_runs (run_id) on delete cascade,
          position integer not null,
          case_id text not null,
          outcome text not null,
          result jsonb not null,
          primary key (run_id, position)
        );
        create index eval_results_case on eval_results (case_id);
      `,
    },
    {
      // Erase by subject (README "Erasing a subject"). Interactions stored before this have no
      // subject_hash: an erase finds them through the subject's votes.
      id: '0004_subjects',
      sql: `
        alter table interactions add column subject_hash text;
        create index interactions_subject on interactions (subject_hash);
        create index feedback_subject on feedback (subject_hash);

        create table erased_subjects (
          subject_hash text primary key,
          first_erased_at timestamptz not null,
          erased_at timestamptz not null,
          tombstone_id text not null,
          -- the tombstone still to publish (SubjectErasedEvent); null once it is in the bus's spool
          tombstone jsonb
        );
        create index erased_subjects_pending on erased_subjects (erased_at) where tombstone is not null;
      `,
    },
  ],
};
