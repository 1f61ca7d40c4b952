import type { MigrationPlan } from '@flywheel/platform';

/**
 * The controller's tables. Evidence is counted per route, epoch (one per start of the
 * rollout) and variant; `processed_events` makes every count idempotent under redelivery.
 * Times are the controller's clock, passed as parameters.
 */
export const ROLLOUTS_MIGRATIONS: MigrationPlan = {
  component: 'rollouts',
  migrations: [
    {
      id: '0001_rollouts',
      sql: `
        create table rollout_processed_events (
          event_id text primary key,
          received_at timestamptz not null
        );

        create table rollout_state (
          route text primary key,
          epoch integer not null,
          status text not null,
          step_index integer not null,
          step_started_at timestamptz not null,
          reason text,
          hold_cause text,
          -- per-variant interactions and candidate votes when the step began
          step_base jsonb not null,
          plan_revision text not null,
          updated_at timestamptz not null
        );

        create table rollout_evidence (
          route text not null,
          epoch integer not null,
          variant text not null,
          interactions bigint not null default 0,
          votes_up bigint not null default 0,
          votes_down bigint not null default 0,
          errors bigint not null default 0,
          cost_sum double precision not null default 0,
          cost_sum_squares double precision not null default 0,
          latency_sketch bytea,
          primary key (route, epoch, variant)
        );

        -- the latest vote of each subject on each interaction, so a changed vote moves one count
        create table rollout_votes (
          route text not null,
          epoch integer not null,
          interaction_id text not null,
          subject_hash text not null,
          variant text not null,
          rating text not null check (rating in ('up', 'down')),
          revision integer not null,
          primary key (route, epoch, interaction_id, subject_hash)
        );

        create table rollout_decisions (
          id bigserial primary key,
          route text not null,
          epoch integer not null,
          at timestamptz not null,
          kind text not null,
          from_percent double precision not null,
          to_percent double precision not null,
          reason text not null,
          evidence jsonb not null,
          published boolean not null default false
        );
        create index rollout_decisions_route on rollout_decisions (route, id desc);
        create index rollout_decisions_unpublished on rollout_decisions (id) where not published;
      `,
    },
    {
      // the regression gate of each route: its last finished run, and whether a new run is owed
      // (requested > ran: a request came after the last run began)
      id: '0002_rollout_gate',
      sql: `
        create table rollout_gates (
          route text primary key,
          status text not null check (status in ('none', 'passed', 'failed')),
          run_id text,
          pass_rate double precision,
          cases integer,
          min_pass_rate double precision,
          config_hash text,
          finished_at timestamptz,
          requested integer not null default 0,
          ran integer not null default 0,
          request_reason text,
          -- why the last attempt could not finish (unreachable gateway or curator), until one does
          error text
        );
      `,
    },
    {
      // the split check's counts: interactions per step that started once the step's flag had
      // reached the gateways (answers still in flight from the previous step are left out)
      id: '0003_rollout_step_split',
      sql: `
        create table rollout_step_split (
          route text not null,
          epoch integer not null,
          step_index integer not null,
          variant text not null,
          interactions bigint not null default 0,
          primary key (route, epoch, step_index, variant)
        );
      `,
    },
  ],
};
