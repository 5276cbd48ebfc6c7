import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import { Type, type Static } from '@sinclair/typebox';
import { AppError, ValidationError } from '../../core/errors.js';
import { EXPORT_FORMATS, exportDataset, getDatasetMetadata } from '../../datasets/export.js';
import { ingestDataset } from '../../datasets/ingest.js';
import { sweepAbandonedIngestions } from '../../datasets/ingest-ownership.js';
import { deleteDataset, getDataset, listDatasets, listExamples } from '../../datasets/repository.js';
import { getDatasetSummary } from '../../datasets/summary.js';
import { DATASET_TYPES } from '../../datasets/types.js';
import {
  ingestFromDatasetDir,
  requestFromFields,
  uploadFileName,
  withUploadDir,
  type UploadFields,
} from '../../datasets/upload.js';
import { getValidation, validateDataset } from '../../datasets/validation.js';
import type { LabApp } from '../app.js';
import {
  DatasetListSchema,
  DatasetSchema,
  DatasetSummarySchema,
  ExamplePageSchema,
  UploadResultSchema,
  ValidationReportSchema,
} from '../contracts/datasets.js';
import { errorResponses } from '../schemas.js';
import { dict } from '../../core/dict.js';

const Json = Type.Unknown();

const Options = Type.Object(
  {
    text_col: Type.Optional(Type.String({ minLength: 1 })),
    label_col: Type.Optional(Type.String({ minLength: 1 })),
    conversation_col: Type.Optional(Type.String({ minLength: 1 })),
    speaker_col: Type.Optional(Type.String({ minLength: 1 })),
    timestamp_col: Type.Optional(Type.String({ minLength: 1 })),
    split_col: Type.Optional(Type.String({ minLength: 1 })),
    nfkc: Type.Optional(Type.Boolean()),
    collapse_whitespace: Type.Optional(Type.Boolean()),
    trim: Type.Optional(Type.Boolean()),
    lowercase: Type.Optional(Type.Boolean()),
    drop_empty: Type.Optional(Type.Boolean()),
    language: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 35,
        description: "dialogflow: training-phrase language (default the agent's); lex: locale such as en_US",
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'column mapping (csv/jsonl), preprocessing steps, language (dialogflow/lex)',
  },
);
const UploadBody = Type.Object(
  {
    dataset_type: Type.Union(DATASET_TYPES.map((t) => Type.Literal(t))),
    file_path: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'a file or folder inside DATASET_DIR, relative to DATASET_DIR or to the working directory ' +
          '(e.g. Dataset/BANKING77); omitted: the DATASET_DIR folder named like dataset_type, any case',
      }),
    ),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    new_version: Type.Optional(Type.Boolean({ description: 'store version n+1 even if identical content exists' })),
    preprocess: Type.Optional(Type.Boolean({ default: true })),
    options: Type.Optional(Options),
  },
  { additionalProperties: false },
);
type UploadBodyT = Static<typeof UploadBody>;

const IdParams = Type.Object({
  id: Type.String({ description: 'dataset id, or name (latest version), or name@version' }),
});
const ExampleQuery = Type.Object({
  split: Type.Optional(Type.String()),
  label: Type.Optional(Type.String()),
  q: Type.Optional(Type.String({ description: 'case-insensitive substring of the text' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  cursor: Type.Optional(Type.String({ description: 'next_cursor of the previous page' })),
});
const ExportQuery = Type.Object(
  {
    format: Type.Union(
      EXPORT_FORMATS.map((f) => Type.Literal(f)),
      { description: 'output format' },
    ),
  },
  { additionalProperties: false },
);
function parseBool(value: string | undefined, field: string): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (['true', '1', 'yes'].includes(value.toLowerCase())) return true;
  if (['false', '0', 'no'].includes(value.toLowerCase())) return false;
  throw new ValidationError(`${field} must be true or false`, [{ field, problem: 'must be true or false' }]);
}

export default async function datasetsRoutes(app: LabApp): Promise<void> {
  // Datasets left half-ingested by a process that died are removed before the API answers.
  app.addHook('onReady', async () => {
    const swept = await sweepAbandonedIngestions(app.lab);
    if (swept > 0) app.log.warn({ datasets: swept }, 'removed datasets left half-ingested by a stopped process');
  });
  const maxBytes = app.lab.settings.maxUploadBytes;
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 20 } });
  app.addSchema(DatasetSchema);

  app.post(
    '/datasets/upload',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Ingest a dataset from DATASET_DIR (JSON) or from an uploaded file (multipart)',
        description:
          'JSON: `{"dataset_type": "banking77", "file_path": "Dataset/BANKING77"}` reads a file or folder inside DATASET_DIR ' +
          '(file_path relative to DATASET_DIR or to the working directory; omitted: DATASET_DIR/<dataset_type>) ' +
          '(absolute paths, `..` and symlinks leading outside are refused). multipart/form-data: a `file` part ' +
          `(.csv, .jsonl, .json, .yml, .md, .zip; at most ${Math.round(maxBytes / 1048576)} MB, 413 beyond) with fields dataset_type, ` +
          'name, new_version, preprocess and options (a JSON string). Ingestion is all or nothing (chunked commits behind a hidden ingesting status): a bad row stores ' +
          'nothing. Identical content returns the stored dataset (200, created=false) unless new_version is true.',
        body: { content: { 'application/json': { schema: UploadBody } } },
        response: { 200: UploadResultSchema, 201: UploadResultSchema, ...errorResponses(400, 409, 413) },
      },
    },
    async (request, reply) => {
      const lab = app.lab;
      let result: Awaited<ReturnType<typeof ingestDataset>>;
      if (request.isMultipart()) {
        result = await withUploadDir(async (dir) => {
          const fields = dict<string>();
          let filePath: string | undefined;
          let originalName = '';
          for await (const part of request.parts()) {
            if (part.type === 'file') {
              originalName = part.filename;
              filePath = path.join(dir, uploadFileName(part.filename));
              await pipeline(part.file, createWriteStream(filePath));
              if (part.file.truncated) throw tooLarge(maxBytes);
            } else {
              fields[part.fieldname] = String(part.value);
            }
          }
          if (!filePath) {
            throw new ValidationError('multipart upload needs a file part', [{ field: 'file', problem: 'missing' }]);
          }
          let options: UploadFields['options'];
          try {
            options = fields.options ? (JSON.parse(fields.options) as UploadFields['options']) : undefined;
          } catch {
            throw new ValidationError('options must be a JSON object', [{ field: 'options', problem: 'not JSON' }]);
          }
          const ingestRequest = requestFromFields(
            {
              dataset_type: fields.dataset_type ?? '',
              name: fields.name || path.basename(originalName, path.extname(originalName)),
              new_version: parseBool(fields.new_version, 'new_version'),
              preprocess: parseBool(fields.preprocess, 'preprocess'),
              options,
            },
            filePath,
          );
          return ingestDataset(lab, { ...ingestRequest, sourceLabel: `upload:${originalName}`, withSummary: true });
        }).catch((err: unknown) => {
          const e = err as { code?: string; statusCode?: number };
          if (e.code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(maxBytes);
          // Multipart limits other than the file size are the client's shape, not its size.
          if (e.code === 'FST_FILES_LIMIT') {
            throw new ValidationError('a multipart upload carries exactly one file part; this one has several', [
              { field: 'file', problem: 'more than one file part' },
            ]);
          }
          if (e.code === 'FST_PARTS_LIMIT' || e.code === 'FST_FIELDS_LIMIT') {
            throw new ValidationError('too many form fields in the multipart upload', [
              { field: 'body', problem: 'too many parts' },
            ]);
          }
          if (e.statusCode === 413) throw tooLarge(maxBytes);
          throw err;
        });
      } else {
        const body = request.body as UploadBodyT | undefined;
        if (!body)
          throw new ValidationError('send JSON or multipart/form-data', [{ field: 'body', problem: 'missing' }]);
        result = await ingestFromDatasetDir(lab, body);
      }
      // A worker ingestion brings its summary (computed on its thread); a small one is cheap here.
      const summary = result.summary ?? (await getDatasetSummary(lab, result.dataset.id));
      return reply
        .status(result.created ? 201 : 200)
        .send({ created: result.created, dataset: result.dataset, summary });
    },
  );

  app.get(
    '/datasets',
    {
      schema: {
        tags: ['datasets'],
        summary: 'List datasets (every version)',
        response: { 200: DatasetListSchema },
      },
    },
    async () => ({ items: await listDatasets(app.lab) }),
  );

  app.get(
    '/datasets/:id',
    {
      schema: {
        tags: ['datasets'],
        summary: 'One dataset',
        params: IdParams,
        response: { 200: Type.Ref('Dataset'), ...errorResponses(404) },
      },
    },
    async (request) => getDataset(app.lab, request.params.id),
  );

  app.get(
    '/datasets/:id/summary',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Counts per split, label distribution, text lengths, conversations and speakers',
        params: IdParams,
        response: { 200: DatasetSummarySchema, ...errorResponses(404) },
      },
    },
    async (request) => getDatasetSummary(app.lab, request.params.id),
  );

  app.get(
    '/datasets/:id/validation',
    {
      schema: {
        tags: ['datasets'],
        summary: 'The stored validation report (computed at ingestion)',
        params: IdParams,
        response: { 200: ValidationReportSchema, ...errorResponses(404) },
      },
    },
    async (request) => getValidation(app.lab, request.params.id),
  );

  app.post(
    '/datasets/:id/validation',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Recompute and store the validation report (findings added by training are kept)',
        params: IdParams,
        response: { 200: ValidationReportSchema, ...errorResponses(404) },
      },
    },
    async (request) => validateDataset(app.lab, request.params.id),
  );

  app.get(
    '/datasets/:id/examples',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Browse examples (cursor pagination)',
        params: IdParams,
        querystring: ExampleQuery,
        response: { 200: ExamplePageSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => listExamples(app.lab, request.params.id, request.query),
  );

  app.get(
    '/datasets/:id/metadata',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Dataset-level metadata kept by an import (Rasa synonyms/regexes/lookups, Dialogflow agent, Lex bot)',
        description:
          'What an export writes back besides the examples. A version made in the lab without its own metadata ' +
          'uses that of the latest earlier version of the same name (`inherited_from`).',
        params: IdParams,
        response: {
          200: Type.Object({
            dataset_id: Type.Integer(),
            metadata: Type.Union([Type.Record(Type.String(), Json), Type.Null()]),
            inherited_from: Type.Union([Type.Integer(), Type.Null()]),
          }),
          ...errorResponses(404),
        },
      },
    },
    async (request) => getDatasetMetadata(app.lab, request.params.id),
  );

  app.get(
    '/datasets/:id/export',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Download a dataset version as Rasa YAML, a Dialogflow ES agent zip, a Lex V2 bot zip, CSV or JSONL',
        description:
          'Labelled examples only (unlabelled ones and conversation logs are left out). The same version always ' +
          'gives the same bytes; importing the file again (dataset_type rasa, dialogflow, lex, csv, jsonl) gives the ' +
          'same examples and labels. Headers: `X-Chatlab-Examples` (examples written), `X-Chatlab-Skipped-Unlabelled`.',
        params: IdParams,
        querystring: ExportQuery,
        response: {
          200: Type.Unknown({
            description: 'the file (application/yaml, application/zip, text/csv or application/x-ndjson)',
          }),
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const file = await exportDataset(app.lab, request.params.id, request.query.format);
      return reply
        .type(file.contentType)
        .header('content-disposition', `attachment; filename="${file.filename}"`)
        .header('x-chatlab-examples', String(file.examples))
        .header('x-chatlab-skipped-unlabelled', String(file.skipped_unlabelled))
        .send(Buffer.from(file.bytes));
    },
  );

  app.delete(
    '/datasets/:id',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Delete a dataset with its examples, conversations and turns',
        params: IdParams,
        response: { 200: Type.Object({ deleted: Type.Ref('Dataset') }), ...errorResponses(404) },
      },
    },
    async (request) => ({ deleted: await deleteDataset(app.lab, request.params.id) }),
  );
}

function tooLarge(maxBytes: number): AppError {
  const mb = Math.round((maxBytes / 1048576) * 10) / 10;
  return new AppError('PAYLOAD_TOO_LARGE', `uploaded file is larger than the ${mb} MB limit (MAX_UPLOAD_MB)`, 413, [
    { field: 'file', problem: `larger than ${mb} MB` },
  ]);
}
