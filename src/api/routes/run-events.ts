import { getRun, TERMINAL_STATUSES } from '../../experiments/runs.js';
import { subscribe, recentEvents, type RunEvent } from '../../training/events.js';
import type { LabApp } from '../app.js';
import { RunEventSchema } from '../contracts/run-events.js';
import { IdParams } from '../contracts/training.js';
import { errorResponses } from '../schemas.js';
import { tailRunEvents } from '../../workers/event-store.js';

export function queuedReply(q: { run_id: number; job_id: number; status: 'queued' }) {
  return { ...q, events_url: `/training/runs/${q.run_id}/events` };
}

/** The Server-Sent Events transport of a run. */
export default async function runEventsRoutes(app: LabApp): Promise<void> {
  app.addSchema(RunEventSchema);
  app.get(
    '/training/runs/:id/events',
    {
      schema: {
        tags: ['training'],
        summary:
          'Server-Sent Events of a run: status, phase, epoch (loss, validation accuracy, ETA); ends when the run ends',
        params: IdParams,
        description:
          'Each message is `event: <type>` with `data:` one RunEvent as JSON (status, phase or epoch). ' +
          "It opens with the run's status, replays the phases and epochs this process saw, and ends after a " +
          'status of succeeded, failed or cancelled. Comment lines keep the connection alive.',
        response: {
          200: {
            description: 'a text/event-stream of RunEvent messages',
            content: { 'text/event-stream': { schema: { $ref: 'RunEvent' } } },
          },
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const runId = request.params.id;
      const run = await getRun(app.lab, runId);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let open = true;
      const send = (event: RunEvent) => {
        if (open) res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      };
      const isEnd = (e: RunEvent) => e.type === 'status' && (TERMINAL_STATUSES as string[]).includes(e.status);
      const cleanups: Array<() => void> = [];
      const end = () => {
        if (!open) return;
        open = false;
        for (const c of cleanups) c();
        res.end();
      };
      send({ type: 'status', run_id: runId, status: run.status, error: run.error });
      // Replay what this process saw of the run so far (a client connecting late, or after a
      // short run already ended, still sees its phases and epochs).
      for (const e of recentEvents(runId)) if (e.type !== 'status') send(e);
      if ((TERMINAL_STATUSES as string[]).includes(run.status)) {
        send({ type: 'status', run_id: runId, status: run.status, error: run.error });
        return end();
      }
      cleanups.push(
        subscribe(runId, (e) => {
          send(e);
          if (isEnd(e)) end();
        }),
      );
      // Events of a run executed by another process (a `chatlab worker`, another API instance)
      // come from the run_events table; this process's own events arrive through subscribe.
      cleanups.push(
        tailRunEvents(app.lab, runId, (e) => {
          send(e);
          if (isEnd(e)) end();
        }),
      );
      // A run executed by another process publishes nothing here: watch its status instead.
      const poll = setInterval(() => {
        void getRun(app.lab, runId)
          .then((r) => {
            if ((TERMINAL_STATUSES as string[]).includes(r.status)) {
              send({ type: 'status', run_id: runId, status: r.status, error: r.error });
              end();
            } else if (open) res.write(': keep-alive\n\n');
          })
          .catch(() => end());
      }, 2000);
      cleanups.push(() => clearInterval(poll));
      request.raw.on('close', end);
    },
  );
}
