import { Type } from '@sinclair/typebox';
import { backupInDir, createBackup, listBackups } from '../../backup/backup.js';
import { restoreBackup } from '../../backup/restore.js';
import { alertHistory } from '../../monitoring/alerts.js';
import { WINDOWS, type WindowName } from '../../monitoring/request-metrics.js';
import { requestHistory } from '../../monitoring/sampler.js';
import { createApiKey, listApiKeys, revokeApiKey, ROLES } from '../../security/keys.js';
import type { LabApp } from '../app.js';
import { errorResponses } from '../schemas.js';
import {
  AlertHistorySchema,
  AlertsSchema,
  RequestHistorySchema,
  RequestsSummarySchema,
  SystemSnapshotSchema,
} from '../contracts/monitoring.js';

const Backup = Type.Object({
  name: Type.String(),
  file: Type.String(),
  size_bytes: Type.Integer(),
  created_at: Type.String(),
});

const KeyInfo = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  role: Type.String(),
  prefix: Type.String(),
  created_at: Type.String(),
  last_used_at: Type.Union([Type.String(), Type.Null()]),
  revoked_at: Type.Union([Type.String(), Type.Null()]),
});

const KeptKey = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  prefix: Type.String(),
  revoked_at: Type.Union([Type.String(), Type.Null()]),
});

export default async function operationsRoutes(app: LabApp): Promise<void> {
  const { metrics, system, alerts } = app.monitoring;

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['monitoring'],
        summary: 'Prometheus metrics (text exposition format)',
        description:
          'http_request_duration_seconds{method,route,status_code}, http_requests_total, http_request_errors_total, http_requests_in_flight and the default process metrics.',
        produces: ['text/plain'],
        response: { 200: Type.String() },
      },
    },
    async (_request, reply) => {
      const { contentType, body } = await metrics.prometheus();
      return reply.type(contentType).send(body);
    },
  );

  app.get(
    '/monitoring/requests',
    {
      schema: {
        tags: ['monitoring'],
        summary: 'Request rate, error rate and latency percentiles per route over a window',
        querystring: Type.Object({
          window: Type.Union([Type.Literal('5m'), Type.Literal('1h'), Type.Literal('24h')], { default: '5m' }),
        }),
        response: { 200: RequestsSummarySchema, ...errorResponses(400) },
      },
    },
    async (request) => metrics.summary(request.query.window as WindowName),
  );

  app.get(
    '/monitoring/requests/history',
    {
      schema: {
        tags: ['monitoring'],
        summary: 'Stored per-minute request figures (sampled each minute), oldest first',
        querystring: Type.Object({
          window: Type.Union([Type.Literal('5m'), Type.Literal('1h'), Type.Literal('24h')], { default: '24h' }),
          route: Type.Optional(Type.String({ maxLength: 300 })),
        }),
        response: { 200: RequestHistorySchema, ...errorResponses(400) },
      },
    },
    async (request) => ({
      points: await requestHistory(
        app.lab.db,
        Date.now() - WINDOWS[request.query.window as WindowName],
        request.query.route,
      ),
    }),
  );

  app.get(
    '/monitoring/system',
    {
      schema: {
        tags: ['monitoring'],
        summary: 'CPU, memory, heap, event-loop delay, free disk of DATA_DIR, database round trip',
        response: { 200: SystemSnapshotSchema },
      },
    },
    async () => system.sample(),
  );

  app.get(
    '/alerts',
    {
      schema: {
        tags: ['monitoring'],
        summary: 'Alert rules with their current state, and the alerts firing now',
        response: { 200: AlertsSchema },
      },
    },
    async () => ({ rules: alerts.status(), firing: await alertHistory(app.lab.db, { state: 'firing', limit: 1000 }) }),
  );

  app.get(
    '/alerts/history',
    {
      schema: {
        tags: ['monitoring'],
        summary: 'Stored alerts (one row per incident), newest first',
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          state: Type.Optional(Type.Union([Type.Literal('firing'), Type.Literal('resolved')])),
        }),
        response: { 200: AlertHistorySchema, ...errorResponses(400) },
      },
    },
    async (request) => ({ alerts: await alertHistory(app.lab.db, request.query) }),
  );

  // --- backups (admin)
  app.get(
    '/backups',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['operations'],
        summary: 'Backup archives in BACKUP_DIR, newest first',
        response: { 200: Type.Object({ backups: Type.Array(Backup) }) },
      },
    },
    async () => ({ backups: await listBackups(app.lab.settings.backupDir) }),
  );

  app.post(
    '/backups',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['operations'],
        summary: 'Create a backup (database snapshot, models/, pipeline_runs/, manifest) in BACKUP_DIR',
        body: Type.Optional(
          Type.Object({ keep: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
        ),
        response: {
          201: Type.Object({ ...Backup.properties, pruned: Type.Array(Type.String()) }),
          ...errorResponses(400, 503),
        },
      },
    },
    async (request, reply) => {
      const created = await createBackup(app.lab, { keep: request.body?.keep });
      return reply.status(201).send(created);
    },
  );

  app.post(
    '/backups/restore',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['operations'],
        summary:
          'Restore a backup from BACKUP_DIR (archive, paths, checksums and the database snapshot verified first; any failure changes nothing; API keys are never rolled back)',
        body: Type.Object(
          { file: Type.String({ description: 'archive name as listed by GET /backups' }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            file: Type.String(),
            created_at: Type.String(),
            app_version: Type.String(),
            schema_version: Type.String(),
            files: Type.Integer(),
            kept: Type.Object(
              {
                api_keys: Type.Object({
                  kept: Type.Integer({ description: 'keys the lab had before the restore, kept as they were' }),
                  revoked_since_backup: Type.Array(KeptKey, { description: 'revoked after the backup: still revoked' }),
                  created_since_backup: Type.Array(KeptKey, { description: 'made after the backup: still valid' }),
                  added_from_backup: Type.Array(KeptKey, { description: 'only in the backup: added' }),
                }),
              },
              { description: 'security state a restore never rolls back' },
            ),
          }),
          ...errorResponses(400, 404, 503),
        },
      },
    },
    async (request) => restoreBackup(app.lab, backupInDir(app.lab.settings.backupDir, request.body.file)),
  );

  // --- API keys (admin)
  app.get(
    '/keys',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['operations'],
        summary: 'API keys (never the keys themselves)',
        querystring: Type.Object({ include_revoked: Type.Boolean({ default: false }) }),
        response: { 200: Type.Object({ keys: Type.Array(KeyInfo) }), ...errorResponses(400) },
      },
    },
    async (request) => ({ keys: await listApiKeys(app.lab, { includeRevoked: request.query.include_revoked }) }),
  );

  app.post(
    '/keys',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['operations'],
        summary: 'Create an API key; the answer is the only time the key is shown',
        body: Type.Object(
          {
            role: Type.Union(ROLES.map((r) => Type.Literal(r))),
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ ...KeyInfo.properties, key: Type.String() }), ...errorResponses(400) },
      },
    },
    async (request, reply) => reply.status(201).send(await createApiKey(app.lab, request.body)),
  );

  app.delete(
    '/keys/:id',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['operations'],
        summary: 'Revoke an API key (by id or prefix)',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: { 200: KeyInfo, ...errorResponses(404) },
      },
    },
    async (request) => revokeApiKey(app.lab, request.params.id),
  );
}
