import { Type, type Static } from '@sinclair/typebox';
import { Status } from './training.js';

/**
 * The events of a run's Server-Sent Events stream (`GET /training/runs/{id}/events`), declared
 * once: the training code publishes them, the route writes each as `event: <type>` with the event
 * as JSON in `data:`, and the dashboard's live-run panel reads the same type.
 */

const runId = Type.Integer();

export const RunStatusEventSchema = Type.Object(
  {
    type: Type.Literal('status'),
    run_id: runId,
    status: Status,
    error: Type.Optional(
      Type.Union([Type.String(), Type.Null()], {
        description: 'why the run failed or was cancelled or re-queued; sent with those statuses',
      }),
    ),
  },
  { description: 'the run changed status; the stream ends after succeeded, failed or cancelled' },
);

export const RunPhaseEventSchema = Type.Object(
  {
    type: Type.Literal('phase'),
    run_id: runId,
    phase: Type.String({ description: 'load, featurise, embed, train, evaluate, save, register, fold, trials, …' }),
    done: Type.Optional(Type.Integer({ description: 'with total: progress within the phase' })),
    total: Type.Optional(Type.Integer()),
    message: Type.Optional(Type.String()),
  },
  { description: 'the run entered a phase, or progressed within one' },
);

export const RunEpochEventSchema = Type.Object(
  {
    type: Type.Literal('epoch'),
    run_id: runId,
    epoch: Type.Integer(),
    epochs: Type.Integer(),
    loss: Type.Number(),
    val_accuracy: Type.Optional(Type.Number({ description: 'model types that validate each epoch' })),
    eta_seconds: Type.Union([Type.Number(), Type.Null()]),
  },
  { description: 'an epoch of an iteratively trained model ended' },
);

export const RunEventSchema = Type.Union([RunStatusEventSchema, RunPhaseEventSchema, RunEpochEventSchema], {
  $id: 'RunEvent',
  title: 'RunEvent',
  description: 'the `data` of one message of a run event stream; the message `event` is its `type`',
});

export type RunStatusEvent = Static<typeof RunStatusEventSchema>;
export type RunPhaseEvent = Static<typeof RunPhaseEventSchema>;
export type RunEpochEvent = Static<typeof RunEpochEventSchema>;
export type RunEvent = Static<typeof RunEventSchema>;
